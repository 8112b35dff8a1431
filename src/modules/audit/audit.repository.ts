import type { Executor } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { AuditAction } from '../../../contracts/audit.ts'

export type AuditRecord = {
  action: AuditAction
  workspaceId?: string | null
  actorUserId?: string | null
  subjectUserId?: string | null
  targetType?: string | null
  targetId?: string | null
  ip?: string | null
  metadata?: Record<string, unknown>
}

export const insertAuditEvent = (db: Executor, event: AuditRecord) =>
  db.insertInto('auditEvents').values({
    id: newId('aud'),
    action: event.action,
    workspaceId: event.workspaceId ?? null,
    actorUserId: event.actorUserId ?? null,
    subjectUserId: event.subjectUserId ?? null,
    targetType: event.targetType ?? null,
    targetId: event.targetId ?? null,
    ip: event.ip ?? null,
    metadata: JSON.stringify(event.metadata ?? {}),
  }).execute()

/**
 * A workspace's log: its own events, plus account events (logins, failed logins) of its current members.
 * Newest first, keyset-paged by the monotonically increasing `seq`.
 */
export const listAuditEvents = (db: Executor, scope: { workspaceId: string; memberIds: string[] }, q: { beforeSeq?: bigint; limit: number; action?: string }) => {
  let query = db.selectFrom('auditEvents').selectAll()
    .where((eb) => eb.or([
      eb('workspaceId', '=', scope.workspaceId),
      eb.and([
        eb('workspaceId', 'is', null),
        eb('subjectUserId', 'in', scope.memberIds.length ? scope.memberIds : ['']),
      ]),
    ]))
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq)
  if (q.action) query = query.where('action', '=', q.action)
  return query.orderBy('seq', 'desc').limit(q.limit + 1).execute()
}
