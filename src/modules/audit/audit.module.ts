import type { Executor } from '../../platform/db/database.ts'
import { badRequest } from '../../platform/http/errors.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { AuditEventDto } from '../../../contracts/audit.ts'
import { insertAuditEvent, listAuditEvents, type AuditRecord } from './audit.repository.ts'

export type { AuditRecord }
export { auditRoutes } from './audit.routes.ts'

/** Security events, append-only (the database refuses updates and deletes). */
export const createAuditService = () => ({
  /** Writes on the caller's executor, so the event commits or rolls back with the change it describes. */
  record: (db: Executor, event: AuditRecord) => insertAuditEvent(db, event),

  async list(db: Executor, scope: WorkspaceScope & { memberIds: string[] }, q: { cursor?: string; limit: number; action?: string }) {
    const beforeSeq = q.cursor === undefined ? undefined : parseCursor(q.cursor)
    const rows = await listAuditEvents(db, scope, { beforeSeq, limit: q.limit, action: q.action })
    const items = rows.slice(0, q.limit)
    const last = items.at(-1)
    return {
      items: items.map((r): AuditEventDto => ({
        id: r.id, action: r.action, actorUserId: r.actorUserId, subjectUserId: r.subjectUserId,
        targetType: r.targetType, targetId: r.targetId, ip: r.ip, metadata: r.metadata, createdAt: r.createdAt.toISOString(),
      })),
      nextCursor: rows.length > q.limit && last ? String(last.seq) : null,
    }
  },
})
export type AuditService = ReturnType<typeof createAuditService>

const parseCursor = (cursor: string) => {
  if (!/^\d{1,19}$/.test(cursor)) throw badRequest('request.invalid_cursor', 'The cursor is not valid.')
  return BigInt(cursor)
}
