import { Gauge, type Registry } from 'prom-client'
import { sql, type Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'

const WATCHED = ['pending', 'dead'] as const

/**
 * Stripe events still to apply (`pending`) and given up on after their last attempt (`dead`: the operators replay
 * them), read at scrape time through the status index. Processed and ignored events only grow and are not counted.
 */
export const subscriptionsMetrics = (db: Kysely<SubscriptionsTables>) => (registry: Registry) => {
  new Gauge({
    name: 'camarad_stripe_events',
    help: 'Stripe events waiting to be applied (pending) or dead after their last attempt',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('stripeEvents')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('status', 'in', [...WATCHED])
        .groupBy('status')
        .execute()
        .catch(() => undefined)
      if (!rows) return
      for (const status of WATCHED) this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0))
    },
  })
}

/** A pending event older than this is late: the job applies one within seconds. */
const PENDING_GRACE_MINUTES = 5

/**
 * The status page's Stripe figures: events still pending past the grace, and events received in the last hour that
 * went dead. Counts only, never which workspace.
 */
export const stripeEventsHealth = async (db: Kysely<SubscriptionsTables>) => {
  const row = await db
    .selectFrom('stripeEvents')
    .select((eb) => [
      eb.fn
        .countAll<string>()
        .filterWhere((w) =>
          w.and([
            w('status', '=', 'pending'),
            w('receivedAt', '<', sql<Date>`now() - make_interval(mins => ${PENDING_GRACE_MINUTES})`),
          ]),
        )
        .as('stalePending'),
      eb.fn
        .countAll<string>()
        .filterWhere((w) =>
          w.and([w('status', '=', 'dead'), w('receivedAt', '>', sql<Date>`now() - interval '1 hour'`)]),
        )
        .as('dead'),
    ])
    .where('status', 'in', ['pending', 'dead'])
    .executeTakeFirstOrThrow()
  return { stalePending: Number(row.stalePending), dead: Number(row.dead) }
}
