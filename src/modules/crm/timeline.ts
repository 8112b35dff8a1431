import { sql, type Kysely } from 'kysely'
import type { TimelineItem } from '../../../contracts/crm.ts'
import type { Handle } from '../../platform/db/database.ts'
import { decodeCursor, encodeCursor, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { HistoryMessage } from '../inbox/inbox.module.ts'
import { noteDto, taskDto } from './activities.ts'
import { bookingDto } from './bookings.ts'
import { contactRow } from './contacts.ts'
import type { CrmTables } from './crm.tables.ts'
import { dealDto } from './deals.ts'
import { pointsOf } from './points.ts'

/** The inbox's messages of a client's conversations with some WhatsApp identities, newest first (contact-history.ts). */
export type MessageHistory = (
  handle: Handle,
  q: { clientId: string; waIds: string[]; before?: { at: string; id: string }; limit: number },
) => Promise<HistoryMessage[]>

type Keyed = { atKey: string; id: string; item: TimelineItem }

const AT_KEY = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
// Ids compare byte-wise (COLLATE "C") in SQL as in the merge below, whatever the database's collation.
const after = (before: [string, string]) =>
  sql<boolean>`(created_at, id COLLATE "C") < (${before[0]}::timestamptz, ${before[1]} COLLATE "C")`
const NEWEST = sql`created_at desc, id COLLATE "C" desc`
const isCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'string' &&
  !Number.isNaN(new Date(v[0]).getTime()) &&
  typeof v[1] === 'string'

/**
 * A contact's timeline: its notes, tasks, bookings and deals (by creation) and the WhatsApp messages of its identities,
 * newest first by (time, id). Each source is read newest first after the cursor, `limit + 1` rows at most; the merge
 * keeps the first `limit` and the cursor is the last one kept, to the microsecond.
 */
export const createTimeline = ({ db, messages }: { db: Kysely<CrmTables>; messages: MessageHistory }) => ({
  of: async (scope: ClientScope, contactId: string, page: PageRequest) => {
    await contactRow(db, scope.clientId, contactId)
    const before = page.cursor ? decodeCursor(page.cursor, isCursor) : undefined
    const n = page.limit + 1
    const keyed: Keyed[] = []
    const at = (r: { atKey: string }) => r.atKey
    for (const r of await db
      .selectFrom('crmNotes')
      .selectAll()
      .select(AT_KEY.as('atKey'))
      .where('clientId', '=', scope.clientId)
      .where('contactId', '=', contactId)
      .$if(Boolean(before), (q) => q.where(after(before!)))
      .orderBy(NEWEST)
      .limit(n)
      .execute())
      keyed.push({ atKey: at(r), id: r.id, item: { kind: 'note', at: r.createdAt.toISOString(), note: noteDto(r) } })
    for (const r of await db
      .selectFrom('crmTasks')
      .selectAll()
      .select(AT_KEY.as('atKey'))
      .where('clientId', '=', scope.clientId)
      .where('contactId', '=', contactId)
      .$if(Boolean(before), (q) => q.where(after(before!)))
      .orderBy(NEWEST)
      .limit(n)
      .execute())
      keyed.push({ atKey: at(r), id: r.id, item: { kind: 'task', at: r.createdAt.toISOString(), task: taskDto(r) } })
    for (const r of await db
      .selectFrom('crmBookings')
      .selectAll()
      .select(AT_KEY.as('atKey'))
      .where('clientId', '=', scope.clientId)
      .where('contactId', '=', contactId)
      .$if(Boolean(before), (q) => q.where(after(before!)))
      .orderBy(NEWEST)
      .limit(n)
      .execute())
      keyed.push({
        atKey: at(r),
        id: r.id,
        item: { kind: 'booking', at: r.createdAt.toISOString(), booking: bookingDto(r) },
      })
    for (const r of await db
      .selectFrom('crmDeals')
      .selectAll()
      .select(AT_KEY.as('atKey'))
      .where('clientId', '=', scope.clientId)
      .where('contactId', '=', contactId)
      .$if(Boolean(before), (q) => q.where(after(before!)))
      .orderBy(NEWEST)
      .limit(n)
      .execute())
      keyed.push({ atKey: at(r), id: r.id, item: { kind: 'deal', at: r.createdAt.toISOString(), deal: dealDto(r) } })
    const waIds = (await pointsOf(db, 'identity', [contactId])).get(contactId) ?? []
    const msgs = await messages(db, {
      clientId: scope.clientId,
      waIds,
      before: before ? { at: before[0], id: before[1] } : undefined,
      limit: n,
    })
    for (const m of msgs)
      keyed.push({
        atKey: m.atKey,
        id: m.id,
        item: {
          kind: 'message',
          at: m.at.toISOString(),
          message: {
            id: m.id,
            threadId: m.threadId,
            channelId: m.channelId,
            direction: m.direction,
            type: m.type,
            text: m.text,
            at: m.at.toISOString(),
          },
        },
      })
    // Newest first by (time, id): the microsecond keys sort as strings (fixed width, UTC).
    keyed.sort((a, b) => (a.atKey === b.atKey ? (a.id < b.id ? 1 : -1) : a.atKey < b.atKey ? 1 : -1))
    const kept = keyed.slice(0, page.limit)
    const last = kept.at(-1)
    return {
      items: kept.map((k) => k.item),
      nextCursor: keyed.length > page.limit && last ? encodeCursor([last.atKey, last.id]) : null,
    }
  },
})
export type Timeline = ReturnType<typeof createTimeline>
