import { sql } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import type { MessageContent } from '../channels/driver.ts'
import { textOf } from './inbox.service.ts'
import type { InboxTables } from './inbox.tables.ts'

/** A message of a person's conversations, as another module's timeline shows it. */
export type HistoryMessage = {
  id: string
  threadId: string
  channelId: string
  direction: 'in' | 'out'
  type: MessageContent['type']
  text: string | null
  at: Date
  /** `at` to the microsecond (ISO, UTC): the key a merged timeline pages by. */
  atKey: string
}

/**
 * The messages of a client's conversations with the WhatsApp identities `waIds` (phone digits or LIDs), newest first
 * by (at, id), strictly before `before` when given: what a CRM contact's timeline shows.
 */
export const contactMessages = async (
  handle: Handle,
  q: { clientId: string; waIds: string[]; before?: { at: string; id: string }; limit: number },
): Promise<HistoryMessage[]> => {
  if (q.waIds.length === 0) return []
  const db = own<InboxTables>(handle)
  let query = db
    .selectFrom('inboxMessages as m')
    .innerJoin('inboxThreads as t', 't.id', 'm.threadId')
    .innerJoin('inboxContacts as c', 'c.id', 't.contactId')
    .where('m.clientId', '=', q.clientId)
    .where('c.clientId', '=', q.clientId)
    .where('c.waId', 'in', q.waIds)
    .select([
      'm.id',
      'm.threadId',
      'm.channelId',
      'm.direction',
      'm.type',
      'm.content',
      'm.at',
      sql<string>`to_char(m.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('atKey'),
    ])
  // Ids compare byte-wise (COLLATE "C"), whatever the database's collation: a caller merging sources sorts the same way.
  if (q.before)
    query = query.where(
      sql<boolean>`(m.at, m.id COLLATE "C") < (${q.before.at}::timestamptz, ${q.before.id} COLLATE "C")`,
    )
  const rows = await query
    .orderBy(sql`m.at desc, m.id COLLATE "C" desc`)
    .limit(q.limit)
    .execute()
  return rows.map(({ content, ...r }) => ({ ...r, text: textOf(content) }))
}

/**
 * Whether thread `threadId` is the client's and holds every message of `messageIds` (where a booking says it came
 * from). An unknown or foreign thread or message answers false, never a hint of whose it is.
 */
export const messagesInThread = async (handle: Handle, clientId: string, threadId: string, messageIds: string[]) => {
  const db = own<InboxTables>(handle)
  const unique = [...new Set(messageIds)]
  const found = await db
    .selectFrom('inboxMessages')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('clientId', '=', clientId)
    .where('threadId', '=', threadId)
    .where('id', 'in', unique)
    .executeTakeFirstOrThrow()
  return Number(found.n) === unique.length
}
