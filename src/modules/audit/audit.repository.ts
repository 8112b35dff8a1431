import type { Kysely } from 'kysely'
import type { AuditTables } from './audit.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestSeqFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
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

export const insertAuditEvent = (db: Kysely<AuditTables>, event: AuditRecord) =>
  db
    .insertInto('auditEvents')
    .values({
      id: newId('aud'),
      action: event.action,
      workspaceId: event.workspaceId ?? null,
      actorUserId: event.actorUserId ?? null,
      subjectUserId: event.subjectUserId ?? null,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      ip: event.ip ?? null,
      metadata: JSON.stringify(event.metadata ?? {}),
    })
    .execute()

/**
 * A workspace's log: its own events only. A member's sign-ins (addresses, failed attempts) are theirs, not their
 * admins' (`listAccountEvents`). Newest first, keyset-paged by the monotonically increasing `seq`.
 */
export const listAuditEvents = (
  db: Kysely<AuditTables>,
  scope: { workspaceId: string },
  f: { action?: string | undefined },
  page: PageRequest,
) => {
  let query = db.selectFrom('auditEvents').selectAll().where('workspaceId', '=', scope.workspaceId)
  if (f.action) query = query.where('action', '=', f.action)
  return newestSeqFirstPage(query, page, 'seq')
}

/** One person's account events (sign-ins, failed sign-ins, sessions, password, tokens): no workspace, about them. */
export const listAccountEvents = (db: Kysely<AuditTables>, userId: string, page: PageRequest) =>
  newestSeqFirstPage(
    db.selectFrom('auditEvents').selectAll().where('workspaceId', 'is', null).where('subjectUserId', '=', userId),
    page,
    'seq',
  )
