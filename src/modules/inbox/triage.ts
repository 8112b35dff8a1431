import type { Kysely } from 'kysely'
import type { InboxNoteDto, ThreadUpdate } from '../../../contracts/inbox.ts'
import type { Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { inboxErrors } from './inbox.errors.ts'
import type { InboxService } from './inbox.service.ts'
import type { InboxTables, NoteRow } from './inbox.tables.ts'
import type { InboxLive } from './live.ts'

/** Tenancy's answer: whether a user is a member of a workspace (read through its public lookups, on our handle). */
export type MemberCheck = (handle: Handle, workspaceId: string, userId: string) => Promise<boolean>

const noteDto = (n: NoteRow): InboxNoteDto => ({
  id: n.id,
  threadId: n.threadId,
  body: n.body,
  authorId: n.authorId,
  createdAt: n.createdAt.toISOString(),
})

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x))

/**
 * How a team works a conversation: who has it (a member of the workspace), its labels, and internal notes that are
 * never sent and never deleted. Changes are audited in their transaction and told to the client's live followers after.
 */
export const createTriage = ({
  db,
  inbox,
  live,
  audit,
  memberOf,
}: {
  db: Kysely<InboxTables>
  inbox: Pick<InboxService, 'getThread'>
  live: Pick<InboxLive, 'publish'>
  audit: Pick<AuditService, 'record'>
  memberOf: MemberCheck
}) => {
  const ownThread = (trx: Kysely<InboxTables>, scope: ClientScope, id: string) =>
    trx
      .selectFrom('inboxThreads')
      .select(['id', 'assignedTo', 'labels'])
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)

  return {
    /** Assigns and labels a thread (labels replace the thread's, duplicates kept once); answers the thread. */
    async update(scope: ClientScope, threadId: string, patch: ThreadUpdate, meta: RequestMeta) {
      const labels = patch.labels && [...new Set(patch.labels)]
      const changed = await db.transaction().execute(async (trx) => {
        const before = await ownThread(trx, scope, threadId).forUpdate().executeTakeFirst()
        if (!before) throw inboxErrors.thread_not_found()
        const assign = patch.assignedTo !== undefined && patch.assignedTo !== before.assignedTo
        const relabel = labels !== undefined && !sameSet(labels, before.labels)
        if (assign && patch.assignedTo && !(await memberOf(trx, scope.workspaceId, patch.assignedTo)))
          throw inboxErrors.assignee_not_member()
        if (!assign && !relabel) return false
        await trx
          .updateTable('inboxThreads')
          .set({
            ...(assign ? { assignedTo: patch.assignedTo ?? null } : {}),
            ...(relabel ? { labels: JSON.stringify(labels) } : {}),
          })
          .where('id', '=', threadId)
          .execute()
        const event = { workspaceId: scope.workspaceId, actorUserId: scope.userId, ip: meta.ip }
        const target = { targetType: 'inbox_thread', targetId: threadId }
        if (assign)
          await audit.record(trx, {
            action: 'inbox.thread_assigned',
            ...event,
            ...target,
            subjectUserId: patch.assignedTo ?? null,
            metadata: { clientId: scope.clientId, from: before.assignedTo, to: patch.assignedTo ?? null },
          })
        if (relabel)
          await audit.record(trx, {
            action: 'inbox.thread_labelled',
            ...event,
            ...target,
            metadata: {
              clientId: scope.clientId,
              added: labels.filter((l) => !before.labels.includes(l)),
              removed: before.labels.filter((l) => !labels.includes(l)),
            },
          })
        return true
      })
      if (changed) live.publish(scope.clientId, [threadId])
      return inbox.getThread(scope, threadId)
    },

    /** A thread's internal notes, newest first. */
    async notes(scope: ClientScope, threadId: string, q: PageRequest) {
      if (!(await ownThread(db, scope, threadId).executeTakeFirst())) throw inboxErrors.thread_not_found()
      const page = await newestFirstPage(
        db
          .selectFrom('inboxNotes')
          .selectAll()
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId)
          .where('threadId', '=', threadId),
        q,
      )
      return { items: page.items.map(noteDto), nextCursor: page.nextCursor }
    },

    /** Adds an internal note to a thread: kept for good, never sent to the contact. */
    async addNote(scope: ClientScope, threadId: string, body: string) {
      if (!(await ownThread(db, scope, threadId).executeTakeFirst())) throw inboxErrors.thread_not_found()
      const note = await db
        .insertInto('inboxNotes')
        .values({
          id: newId('in'),
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          threadId,
          authorId: scope.userId,
          body,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      live.publish(scope.clientId, [threadId])
      return noteDto(note)
    },
  }
}
export type Triage = ReturnType<typeof createTriage>
