import type { Db, Executor } from '../../platform/db/database.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { IdentityService } from '../identity/identity.module.ts'
import { clientRoutes } from './clients.routes.ts'
import { createClientService } from './clients.service.ts'
import { createScopeResolver } from './scope.ts'
import { expireInvitation, sweepInvitations } from './tenancy.jobs.ts'
import { tenancyRoutes } from './tenancy.routes.ts'
import { createTenancyService } from './tenancy.service.ts'

export type { ScopeResolver } from './scope.ts'
export type { TenancyService } from './tenancy.service.ts'

type Deps = { db: Db; audit: AuditService; queue: Queue; identity: IdentityService; publicUrl: string; invitationTtlDays: number; onWorkspaceCreated?: ((trx: Executor, workspaceId: string, userId: string) => Promise<void>)[] }

/** Workspaces, memberships, invitations and clients; the scope resolver every tenant-owned route starts with. */
export const createTenancyModule = (deps: Deps) => {
  const scope = createScopeResolver(deps.db)
  const tenancy = createTenancyService(deps)
  const clients = createClientService(deps)
  return {
    scope, tenancy, clients,
    routes: [tenancyRoutes({ tenancy, scope }), clientRoutes({ clients, scope })],
    jobs: [expireInvitation(deps.db), sweepInvitations(deps.db)],
  }
}
export type TenancyModule = ReturnType<typeof createTenancyModule>
