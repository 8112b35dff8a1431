import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { Db, Executor } from '../../platform/db/database.ts'
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
import { createTenancyService } from './tenancy.service.ts'
import { clients, memberships, workspaces } from './tenancy.repository.ts'

export type { ScopeResolver } from './scope.ts'
export type { TenancyService } from './tenancy.service.ts'

/** Plan limits, asked inside the transaction of each create (the plans module answers; 402 when a limit is reached). */
export type LimitCheck = {
  check(
    executor: Executor,
    workspaceId: string,
    key: LimitKey,
    adding?: number,
    counted?: (executor: Executor) => Promise<number>,
  ): Promise<void>
}

type Deps = {
  db: Db
  audit: AuditService
  queue: Queue
  identity: IdentityService
  publicUrl: string
  invitationTtlDays: number
  mail: Pick<MailService, 'send'>
  counters: CounterStore
  onWorkspaceCreated?: ((trx: Executor, workspaceId: string, userId: string) => Promise<void>)[]
  entitlements: LimitCheck
}

/** A workspace's plan, read and set for the plans module (the workspace row is tenancy's); `lockPlan` takes the row lock. */
export const workspacePlans = {
  planOf: (executor: Executor, workspaceId: string) => workspaces.plan(executor, workspaceId),
  lockPlan: (executor: Executor, workspaceId: string) => workspaces.plan(executor, workspaceId, true),
  setPlan: (executor: Executor, workspaceId: string, plan: string) => workspaces.setPlan(executor, workspaceId, plan),
  page: (executor: Executor, q: { after?: string; limit: number; plans?: string[] }) => workspaces.plans(executor, q),
  ownerOf: (executor: Executor, workspaceId: string) => workspaces.ownerOf(executor, workspaceId),
}

/** Tenancy's error codes, for the modules that answer about its rows (a usage cap naming a client or member). */
export { tenancyErrors } from './tenancy.errors.ts'

/** The first workspace a person owns, for the credits module (welcome credits granted when the owner verifies later). */
export const firstOwnedWorkspace = (executor: Executor, userId: string) => workspaces.firstOwnedBy(executor, userId)

/** What tenancy counts against a plan: non-archived clients, and members plus pending invitations. */
export const tenancyUsage = {
  clients: (executor: Executor, workspaceId: string) => clients.countActive(executor, workspaceId),
  members: (executor: Executor, workspaceId: string) => memberships.countSeats(executor, workspaceId, new Date()),
}

/** Workspaces, memberships, invitations and clients; the scope resolver every tenant-owned route starts with. */
export const createTenancyModule = (deps: Deps) => {
  const scope = createScopeResolver(deps.db)
  const tenancy = createTenancyService(deps)
  const clients = createClientService(deps)
  return {
    scope,
    tenancy,
    clients,
    routes: [tenancyRoutes({ tenancy, scope }), clientRoutes({ clients, scope })],
    jobs: [expireInvitation(deps.db), sweepInvitations(deps.db)],
  }
}
export type TenancyModule = ReturnType<typeof createTenancyModule>
