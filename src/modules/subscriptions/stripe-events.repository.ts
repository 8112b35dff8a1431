import { sql, type Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'
import type { StripeEventStatus } from './subscriptions.tables.ts'

/** Stripe events as received: stored once by Stripe's event id, then worked through by the processing job. */
export const stripeEventsRepository = {
  /** True when this delivery stored the event; false when it was already there (a redelivery). */
  async insert(db: Kysely<SubscriptionsTables>, event: { id: string; type: string; payload: unknown }) {
    const row = await db
      .insertInto('stripeEvents')
      .values({ id: event.id, type: event.type, payload: JSON.stringify(event.payload) })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst()
    return Boolean(row)
  },

  /** Stripe's `created` (Unix seconds) of the newest stored event, read from its payload; undefined when none is stored. */
  async newestCreated(db: Kysely<SubscriptionsTables>) {
    const row = await db
      .selectFrom('stripeEvents')
      .select(sql<string | null>`max((payload->>'created')::bigint)::text`.as('created'))
      .executeTakeFirst()
    return row?.created ? Number(row.created) : undefined
  },

  /** Which of these event ids are stored already. */
  async existing(db: Kysely<SubscriptionsTables>, ids: string[]) {
    if (ids.length === 0) return new Set<string>()
    const rows = await db.selectFrom('stripeEvents').select('id').where('id', 'in', ids).execute()
    return new Set(rows.map((r) => r.id))
  },

  find: (db: Kysely<SubscriptionsTables>, id: string) =>
    db.selectFrom('stripeEvents').selectAll().where('id', '=', id).executeTakeFirst(),

  list: (db: Kysely<SubscriptionsTables>, filter: { status?: StripeEventStatus; limit: number }) => {
    let q = db.selectFrom('stripeEvents').selectAll().orderBy('receivedAt', 'desc').orderBy('id').limit(filter.limit)
    if (filter.status) q = q.where('status', '=', filter.status)
    return q.execute()
  },

  /**
   * Counts an attempt and returns the event. The payload comes back as text: the CamelCasePlugin would rename
   * the keys of a jsonb value (`amount_refunded` → `amountRefunded`), and Stripe's object must be read as sent.
   */
  async startAttempt(db: Kysely<SubscriptionsTables>, id: string) {
    const row = await db
      .updateTable('stripeEvents')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .returning(['id', 'type', 'status', 'attempts', sql<string>`payload::text`.as('payloadText')])
      .executeTakeFirst()
    return (
      row && {
        id: row.id,
        type: row.type,
        status: row.status,
        attempts: row.attempts,
        payload: JSON.parse(row.payloadText) as Record<string, unknown>,
      }
    )
  },

  finish: (db: Kysely<SubscriptionsTables>, id: string, status: StripeEventStatus, lastError: string | null = null) =>
    db
      .updateTable('stripeEvents')
      .set({
        status,
        lastError,
        ...(status === 'processed' || status === 'ignored' ? { processedAt: new Date() } : {}),
      })
      .where('id', '=', id)
      .execute(),

  /** What a refund or chargeback could not take back (0: everything was recovered), for the operator's list. */
  flagShortfall: (db: Kysely<SubscriptionsTables>, id: string, workspaceId: string, unrecovered: bigint) =>
    db
      .updateTable('stripeEvents')
      .set({ workspaceId, unrecoveredCredits: unrecovered > 0n ? unrecovered : null })
      .where('id', '=', id)
      .execute(),

  /** What refunds and chargebacks of a workspace's payments could not take back, in all (micro-credits). */
  async unrecoveredFor(db: Kysely<SubscriptionsTables>, workspaceId: string) {
    const row = await db
      .selectFrom('stripeEvents')
      .select(sql<string>`coalesce(sum(unrecovered_credits), 0)::text`.as('total'))
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirstOrThrow()
    return BigInt(row.total)
  },

  resetForReplay: (db: Kysely<SubscriptionsTables>, id: string) =>
    db
      .updateTable('stripeEvents')
      .set({ status: 'pending', attempts: 0, lastError: null, processedAt: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),

  recordFailure: (db: Kysely<SubscriptionsTables>, id: string, error: string, dead: boolean) =>
    db
      .updateTable('stripeEvents')
      .set({ lastError: error.slice(0, 1000), ...(dead ? { status: 'dead' as const } : {}) })
      .where('id', '=', id)
      .execute(),
}
