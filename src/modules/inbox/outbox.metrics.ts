import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { sql, type Kysely } from 'kysely'
import type { InboxTables, MessageRow } from './inbox.tables.ts'
import type { Outcome } from './dispatcher.ts'

/**
 * How many numbers get a label of their own on the per-number series: the ones with the most outbound messages in
 * the last day (re-read at every scrape); every other number is counted as `other`. A process's series therefore grow
 * only with the numbers that were once among the busiest, never with every number a deployment has.
 */
export const TOP_NUMBERS = 20
const TOP_WINDOW_HOURS = 24
const OUTCOMES: Outcome[] = ['sent', 'retry', 'uncertain', 'paced', 'failed', 'dead']

/**
 * The outbox for /metrics. The backlog (queued outbound messages, the oldest one's age, dead letters) is read from the
 * messages at scrape time: every process reports the same. Each send attempt this process makes is counted by number
 * and outcome, and a sent message's latency (queued → accepted by the provider) observed by number.
 */
export const createOutboxMetrics = (
  db: Kysely<InboxTables>,
  { topNumbers = TOP_NUMBERS, now = Date.now }: { topNumbers?: number; now?: () => number } = {},
) => {
  let top = new Set<string>()
  const numberOf = (channelId: string) => (top.has(channelId) ? channelId : 'other')
  const refreshTop = async () => {
    const rows = await db
      .selectFrom('inboxMessages')
      .select(['channelId', (eb) => eb.fn.countAll<string>().as('n')])
      .where('direction', '=', 'out')
      .where('createdAt', '>', new Date(now() - TOP_WINDOW_HOURS * 3_600_000))
      .groupBy('channelId')
      .orderBy('n', 'desc')
      .orderBy('channelId')
      .limit(topNumbers)
      .execute()
    top = new Set(rows.map((r) => r.channelId))
  }
  const attempts = new Counter({
    name: 'camarad_outbox_send_attempts_total',
    help: `Outbox send attempts in this process by number (the ${TOP_NUMBERS} busiest, else other) and outcome`,
    labelNames: ['number', 'outcome'] as const,
    registers: [],
    // The busiest numbers are re-read before each scrape, so the next sends are labelled by them.
    async collect() {
      await refreshTop().catch(() => undefined)
    },
  })
  for (const outcome of OUTCOMES) attempts.inc({ number: 'other', outcome }, 0)
  const latency = new Histogram({
    name: 'camarad_outbox_send_latency_seconds',
    help: `Queued to accepted by the provider, per sent message, by number (the ${TOP_NUMBERS} busiest, else other)`,
    labelNames: ['number'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [],
  })
  const queued = new Gauge({
    name: 'camarad_outbox_queued',
    help: 'Outbound messages waiting in the outbox (queued, not yet accepted by the provider)',
    registers: [],
    async collect() {
      const row = await backlog().catch(() => undefined)
      if (row) this.set(Number(row.n))
    },
  })
  const oldest = new Gauge({
    name: 'camarad_outbox_oldest_queued_age_seconds',
    help: 'How long the oldest queued outbound message has waited (0 when none waits)',
    registers: [],
    async collect() {
      const row = await backlog().catch(() => undefined)
      if (row) this.set(row.oldest ? Math.max(0, (now() - new Date(row.oldest).getTime()) / 1000) : 0)
    },
  })
  const dead = new Gauge({
    name: 'camarad_outbox_dead_letters',
    help: 'Outbound messages set aside after their last attempt and not replayed (operators list and replay them)',
    registers: [],
    async collect() {
      const row = await db
        .selectFrom('inboxMessages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('deadAt', 'is not', null)
        .where('direction', '=', 'out')
        .executeTakeFirst()
        .catch(() => undefined)
      if (row) this.set(Number(row.n))
    },
  })
  // The dispatcher's claim index (`inbox_messages_due_idx`) covers queued outbound messages.
  const backlog = () =>
    db
      .selectFrom('inboxMessages')
      .select((eb) => [eb.fn.countAll<string>().as('n'), sql<Date | string | null>`min(created_at)`.as('oldest')])
      .where('status', '=', 'queued')
      .where('direction', '=', 'out')
      .executeTakeFirstOrThrow()
  return {
    register(registry: Registry) {
      for (const m of [attempts, latency, queued, oldest, dead]) registry.registerMetric(m)
    },
    /** One attempt's outcome (the dispatcher calls this after each). */
    observe(m: Pick<MessageRow, 'channelId' | 'createdAt'>, outcome: Outcome) {
      const number = numberOf(m.channelId)
      attempts.inc({ number, outcome })
      if (outcome === 'sent') latency.observe({ number }, Math.max(0, (now() - m.createdAt.getTime()) / 1000))
    },
    /** Tests: the busiest numbers, read now. */
    refreshTop,
  }
}
