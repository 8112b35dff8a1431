import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { Kysely } from 'kysely'
import type { Invalidations } from '../../platform/cache/who-cache.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { TenancyTables } from './tenancy.tables.ts'
import type { LimitKey } from '../../../contracts/plans.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { IdentityService } from '../identity/identity.module.ts'
import type { MailService } from '../mail/mail.module.ts'
import { clientRoutes } from './clients.routes.ts'
import { createClientService } from './clients.service.ts'
import { createScopeResolver } from './scope.ts'
import { expireInvitation, sweepInvitations } from './tenancy.jobs.ts'
import { tenancyRoutes } from './tenancy.routes.ts'
import { createTenancyService, type TenancyEvents } from './tenancy.service.ts'
import { clients, memberships, workspaces } from './tenancy.repository.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

export type { ScopeResolver } from './scope.ts'
export type { TenancyEvents, TenancyService } from './tenancy.service.ts'

/** Plan limits, asked inside the transaction of each create (the plans module answers; 402 when a limit is reached). */
export type LimitCheck = {
  check(
    handle: Handle,
    workspaceId: string,
    key: LimitKey,
    adding?: number,
    counted?: (handle: Handle) => Promise<number>,
  ): Promise<void>
}

type Deps = {
  db: Kysely<TenancyTables>
  audit: AuditService
  queue: Queue
  identity: IdentityService
  publicUrl: string
  invitationTtlDays: number
  mail: Pick<MailService, 'send'>
  counters: CounterStore
  /** Where `workspace.created` goes, in the transaction that created it (credits open the account then). */
  events: Emits<TenancyEvents>
  entitlements: LimitCheck
  /** What the database says changed: drops cached roles in every process (ADR 0009). */
  invalidations: Invalidations
}

/** A workspace's plan, read and set for the plans module (the workspace row is tenancy's); `lockPlan` takes the row lock. */
export const workspacePlans = {
  planOf: (handle: Handle, workspaceId: string) => workspaces.plan(own<TenancyTables>(handle), workspaceId),
  lockPlan: (handle: Handle, workspaceId: string) => workspaces.plan(own<TenancyTables>(handle), workspaceId, true),
  setPlan: (handle: Handle, workspaceId: string, plan: string) =>
    workspaces.setPlan(own<TenancyTables>(handle), workspaceId, plan),
  page: (handle: Handle, q: { after?: string; limit: number; plans?: string[] }) =>
    workspaces.plans(own<TenancyTables>(handle), q),
  ownerOf: (handle: Handle, workspaceId: string) => workspaces.ownerOf(own<TenancyTables>(handle), workspaceId),
}

/** Tenancy's error codes, for the modules that answer about its rows (a usage cap naming a client or member). */
export { tenancyErrors } from './tenancy.errors.ts'

/** The first workspace a person owns, for the credits module (welcome credits granted when the owner verifies later). */
export const firstOwnedWorkspace = (handle: Handle, userId: string) =>
  workspaces.firstOwnedBy(own<TenancyTables>(handle), userId)

/** What tenancy counts against a plan: non-archived clients, and members plus pending invitations. */
export const tenancyUsage = {
  clients: (handle: Handle, workspaceId: string) => clients.countActive(own<TenancyTables>(handle), workspaceId),
  members: (handle: Handle, workspaceId: string) =>
    memberships.countSeats(own<TenancyTables>(handle), workspaceId, new Date()),
}

/** Whether rows exist, for modules that keep settings keyed by them (credits' caps and operator grants). */
export const tenancyLookups = {
  workspaceExists: async (handle: Handle, workspaceId: string) =>
    Boolean(await workspaces.exists(own<TenancyTables>(handle), workspaceId)),
  clientInWorkspace: async (handle: Handle, workspaceId: string, clientId: string) =>
    Boolean(await clients.inWorkspace(own<TenancyTables>(handle), workspaceId, clientId)),
  memberOf: async (handle: Handle, workspaceId: string, userId: string) =>
    Boolean(await memberships.find(own<TenancyTables>(handle), userId, workspaceId)),
  /** The workspace a request names (itself, or through one of its clients) when the user is a member of it. */
  memberWorkspace: async (handle: Handle, userId: string, named: { workspaceId?: string; clientId?: string }) => {
    const db = own<TenancyTables>(handle)
    if (named.workspaceId)
      return (await memberships.find(db, userId, named.workspaceId)) ? named.workspaceId : undefined
    return named.clientId ? (await clients.accessFor(db, userId, named.clientId))?.workspaceId : undefined
  },
  /** What an agent's system prompt says of a client (name, website, notes). */
  clientProfile: async (handle: Handle, scope: ClientScope) => {
    const c = await clients.get(own<TenancyTables>(handle), scope)
    return { name: c.name, website: c.website, notes: c.notes }
  },
}

/** Workspaces, memberships, invitations and clients; the scope resolver every tenant-owned route starts with. */
export const createTenancyModule = (deps: Deps) => {
  const scope = createScopeResolver(deps.db, deps.invalidations)
  const tenancy = createTenancyService(deps)
  const clients = createClientService(deps)
  return {
    scope,
    tenancy,
    clients,
    routes: [tenancyRoutes({ tenancy, scope }), clientRoutes({ clients, scope })],
    jobs: [expireInvitation(deps.db), sweepInvitations(deps.db)],
  } satisfies ModuleShape
}
export type TenancyModule = ReturnType<typeof createTenancyModule>
