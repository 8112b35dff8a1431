import { own, type Handle } from '../../platform/db/database.ts'
import { textOf } from './inbox.service.ts'
import type { InboxTables } from './inbox.tables.ts'

/** A message of one conversation as another module reads it (the CRM's booking extraction). */
export type ThreadMessage = { id: string; direction: 'in' | 'out'; text: string | null; at: Date }

/** Which client a thread belongs to (undefined: no such thread): what a route scopes a thread id by. */
export const clientOfThread = async (handle: Handle, threadId: string) =>
  (
    await own<InboxTables>(handle)
      .selectFrom('inboxThreads')
      .select('clientId')
      .where('id', '=', threadId)
      .executeTakeFirst()
  )?.clientId

/**
 * The latest `limit` messages of thread `threadId` of client `clientId`, oldest first, with the WhatsApp id of the
 * thread's contact; undefined for an unknown or foreign thread (never a hint of whose it is).
 */
export const threadMessages = async (
  handle: Handle,
  q: { clientId: string; threadId: string; limit: number },
): Promise<{ waId: string; messages: ThreadMessage[] } | undefined> => {
  const db = own<InboxTables>(handle)
  const thread = await db
    .selectFrom('inboxThreads as t')
    .innerJoin('inboxContacts as c', 'c.id', 't.contactId')
    .select(['c.waId'])
    .where('t.clientId', '=', q.clientId)
    .where('c.clientId', '=', q.clientId)
    .where('t.id', '=', q.threadId)
    .executeTakeFirst()
  if (!thread) return undefined
  const rows = await db
    .selectFrom('inboxMessages')
    .select(['id', 'direction', 'content', 'at'])
    .where('clientId', '=', q.clientId)
    .where('threadId', '=', q.threadId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit)
    .execute()
  return {
    waId: thread.waId,
    messages: rows.reverse().map((m) => ({ id: m.id, direction: m.direction, text: textOf(m.content), at: m.at })),
  }
}
