import { own, type Handle } from '../../platform/db/database.ts'
import type { AuditTables } from './audit.tables.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { AuditEventDto } from '../../../contracts/audit.ts'
import { insertAuditEvent, listAccountEvents, listAuditEvents, type AuditRecord } from './audit.repository.ts'

export type { AuditRecord }
export { auditRoutes } from './audit.routes.ts'

/** Security events, append-only (the database refuses updates and deletes). */
export const createAuditService = () => ({
  /** Writes on the caller's handle or transaction (any module's), so the event commits or rolls back with the change it describes. */
  record: (handle: Handle, event: AuditRecord) => insertAuditEvent(own<AuditTables>(handle), event),

  /** A workspace's own events (admins). */
  list: async (handle: Handle, scope: WorkspaceScope, q: { cursor?: string; limit: number; action?: string }) =>
    toPage(
      await listAuditEvents(own<AuditTables>(handle), scope, {
        beforeSeq: parseCursor(q.cursor),
        limit: q.limit,
        action: q.action,
      }),
      q.limit,
    ),

  /** A person's own sign-in history and account events, for them alone. */
  listAccount: async (handle: Handle, userId: string, q: { cursor?: string; limit: number }) =>
    toPage(
      await listAccountEvents(own<AuditTables>(handle), userId, { beforeSeq: parseCursor(q.cursor), limit: q.limit }),
      q.limit,
    ),
})
export type AuditService = ReturnType<typeof createAuditService>

const parseCursor = (cursor: string | undefined) => {
  if (cursor === undefined) return undefined
  if (!/^\d{1,19}$/.test(cursor)) throw requestErrors.invalid_cursor()
  return BigInt(cursor)
}

/** Rows fetched one past the limit: the extra one says there is a next page, keyed by the last row's `seq`. */
const toPage = (rows: Awaited<ReturnType<typeof listAuditEvents>>, limit: number) => {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map((r): AuditEventDto => ({
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
    nextCursor: rows.length > limit && last ? String(last.seq) : null,
  }
}
