import { own, type Handle } from '../../platform/db/database.ts'
import type { AuditEvent, AuditTables } from './audit.tables.ts'
import type { Page } from '../../platform/db/pagination.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { AuditEventDto } from '../../../contracts/audit.ts'
import { insertAuditEvent, listAccountEvents, listAuditEvents, type AuditRecord } from './audit.repository.ts'

export type { AuditRecord }
import { auditRoutes } from './audit.routes.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

/** Security events, append-only (the database refuses updates and deletes). */
export const createAuditService = () => ({
  /** Writes on the caller's handle or transaction (any module's), so the event commits or rolls back with the change it describes. */
  record: (handle: Handle, event: AuditRecord) => insertAuditEvent(own<AuditTables>(handle), event),

  /** A workspace's own events (admins), newest first. */
  list: async (handle: Handle, scope: WorkspaceScope, q: { cursor?: string; limit: number; action?: string }) =>
    toDtos(await listAuditEvents(own<AuditTables>(handle), scope, { action: q.action }, q)),

  /** A person's own sign-in history and account events, for them alone, newest first. */
  listAccount: async (handle: Handle, userId: string, q: { cursor?: string; limit: number }) =>
    toDtos(await listAccountEvents(own<AuditTables>(handle), userId, q)),
})
export type AuditService = ReturnType<typeof createAuditService>

/** The audit service at once (every module records through it), its routes once tenancy can resolve an admin's scope. */
export const createAuditModule = () => {
  const audit = createAuditService()
  return {
    audit,
    connect: (deps: Omit<Parameters<typeof auditRoutes>[0], 'audit'>) =>
      ({ routes: [auditRoutes({ audit, ...deps })], jobs: [] }) satisfies ModuleShape,
  }
}

const toDtos = (page: Page<AuditEvent>): Page<AuditEventDto> => ({
  items: page.items.map((r) => ({
    id: r.id,
    action: r.action,
    actorUserId: r.actorUserId,
    subjectUserId: r.subjectUserId,
    targetType: r.targetType,
    targetId: r.targetId,
    ip: r.ip,
    metadata: r.metadata,
    createdAt: r.createdAt.toISOString(),
  })),
  nextCursor: page.nextCursor,
})
