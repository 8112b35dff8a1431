import type { Kysely } from 'kysely'
import type { InboxTables, MessageRow } from './inbox.tables.ts'

export type Claimed = MessageRow[]

type ClaimOptions = {
  at: number
  me: string
  settings: { leaseMs: number; graceMs: number }
  /** The number's daily cap on first messages to new contacts (null: none). */
  newContactsPerDay: number | null
  random: () => number
} & ({ channelId: string; count: number; id?: undefined } | { id: string; channelId?: undefined; count?: undefined })

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const nextUtcDay = (ms: number) => {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
}

/**
 * Claims messages to send, in one transaction: due queued messages of one number, oldest first, skipping rows
 * another dispatcher holds (`FOR UPDATE SKIP LOCKED`) — or one message by id when no attempt of it is open. Each
 * claimed message gets its attempt written here (number, start, lease) and committed before anyone calls the
 * provider. Left unclaimed: a message whose last attempt's outcome is unknown (it waits the grace for the status
 * echo first; once the grace has passed with no echo it is claimed and resent), and a first message to a new contact
 * beyond the number's daily cap (due the next UTC day).
 */
export const claimDue = (db: Kysely<InboxTables>, o: ClaimOptions): Promise<Claimed> =>
  db.transaction().execute(async (trx) => {
    const at = new Date(o.at)
    let q = trx
      .selectFrom('inboxMessages')
      .selectAll()
      .where('status', '=', 'queued')
      .where('direction', '=', 'out')
      .where('providerMessageId', 'is', null)
    q =
      o.id === undefined
        ? q
            .where('channelId', '=', o.channelId)
            .where('nextAttemptAt', '<=', at)
            .orderBy('nextAttemptAt')
            .orderBy('at')
            .orderBy('createdAt')
            .limit(o.count)
        : q
            .where('id', '=', o.id)
            .where((eb) => eb.or([eb('sendStartedAt', 'is', null), eb('nextAttemptAt', '<=', at)]))
    const rows = await q.forUpdate().skipLocked().execute()
    if (!rows.length) return []

    const open = rows.filter((r) => r.sendStartedAt && (!r.echoWaitUntil || r.echoWaitUntil > at))
    for (const r of open) {
      const until = r.echoWaitUntil ?? new Date(o.at + o.settings.graceMs)
      await trx
        .updateTable('inboxMessages')
        .set({ echoWaitUntil: until, nextAttemptAt: until, claimedBy: null })
        .where('id', '=', r.id)
        .execute()
    }
    let go = rows.filter((r) => !open.includes(r))
    if (o.newContactsPerDay !== null && go.length) go = await withinNewContactCap(trx, go, o)
    if (!go.length) return []

    const claimed = await trx
      .updateTable('inboxMessages')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        sendStartedAt: at,
        echoWaitUntil: null,
        nextAttemptAt: new Date(o.at + o.settings.leaseMs),
        claimedBy: o.me,
      }))
      .where(
        'id',
        'in',
        go.map((r) => r.id),
      )
      .returningAll()
      .execute()
    // RETURNING keeps no order: one chat's messages go out in the order they were written.
    const order = new Map(go.map((r, i) => [r.id, i]))
    return claimed.sort((a, b) => order.get(a.id)! - order.get(b.id)!)
  })

/**
 * The claimed messages a capped number may send: a first message to a chat this number never wrote to counts
 * against today's cap once (marked `new_contact`, so its retries do not count again); those beyond the cap wait for
 * the next UTC day, spread over its first ten minutes.
 */
const withinNewContactCap = async (trx: Kysely<InboxTables>, rows: MessageRow[], o: ClaimOptions) => {
  const channelId = rows[0]!.channelId
  const candidates = rows.filter((r) => !r.newContact)
  if (!candidates.length) return rows
  const chats = [...new Set(candidates.map((r) => r.chatId))]
  const known = new Set(
    (
      await trx
        .selectFrom('inboxMessages')
        .select('chatId')
        .distinct()
        .where('channelId', '=', channelId)
        .where('direction', '=', 'out')
        .where('chatId', 'in', chats)
        .where((eb) => eb.or([eb('status', 'in', ['sent', 'delivered', 'read']), eb('newContact', '=', true)]))
        .execute()
    ).map((r) => r.chatId),
  )
  const fresh = chats.filter((c) => !known.has(c))
  if (!fresh.length) return rows
  const day = utcDay(o.at)
  await trx
    .insertInto('inboxNewContacts')
    .values({ channelId, day, count: 0 })
    .onConflict((oc) => oc.columns(['channelId', 'day']).doNothing())
    .execute()
  const { count } = await trx
    .selectFrom('inboxNewContacts')
    .select('count')
    .where('channelId', '=', channelId)
    .where('day', '=', day)
    .forUpdate()
    .executeTakeFirstOrThrow()
  const allowed = new Set(fresh.slice(0, Math.max(0, o.newContactsPerDay! - count)))
  if (allowed.size)
    await trx
      .updateTable('inboxNewContacts')
      .set((eb) => ({ count: eb('count', '+', allowed.size) }))
      .where('channelId', '=', channelId)
      .where('day', '=', day)
      .execute()
  const firsts = new Set<string>()
  const go: MessageRow[] = []
  for (const r of rows) {
    if (r.newContact || known.has(r.chatId)) go.push(r)
    else if (allowed.has(r.chatId)) {
      // The chat's first message is the new contact; later ones in the batch follow it.
      if (!firsts.has(r.chatId)) {
        firsts.add(r.chatId)
        await trx.updateTable('inboxMessages').set({ newContact: true }).where('id', '=', r.id).execute()
      }
      go.push(r)
    } else {
      const tomorrow = new Date(nextUtcDay(o.at) + Math.floor(o.random() * 600_000))
      await trx
        .updateTable('inboxMessages')
        .set({ nextAttemptAt: tomorrow, claimedBy: null })
        .where('id', '=', r.id)
        .execute()
    }
  }
  return go
}
