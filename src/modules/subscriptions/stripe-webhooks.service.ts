import type { Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'
import type { StripeEventStatus } from './subscriptions.tables.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import { stripeErrors, subscriptionsErrors } from './subscriptions.errors.ts'
import { stripeEventsRepository as events } from './stripe-events.repository.ts'
import { verifyWebhook, type StripeClient } from './stripe-client.ts'
import { PROCESS_ATTEMPTS, type ProcessStripeEventJob } from './subscriptions.jobs.ts'

type Deps = {
  db: Kysely<SubscriptionsTables>
  queue: Queue
  stripe: StripeClient
  secrets: string[]
  job: () => ProcessStripeEventJob
  /** Applies one event; returns 'ignored' for a type it does not handle. Runs outside any transaction (it may call Stripe). */
  apply: (event: { id: string; type: string; payload: Record<string, unknown> }) => Promise<'processed' | 'ignored'>
  now?: () => Date
}

/** Receiving (verify, store once, enqueue) and processing Stripe events, with dead events and their replay. */
export const createStripeWebhooks = ({ db, queue, stripe, secrets, job, apply, now = () => new Date() }: Deps) => {
  /**
   * Stores an authentic event and enqueues its processing in one transaction; false when it was already stored.
   * A redelivery, a concurrent duplicate or an event drift repair recovered after all stores nothing and enqueues nothing.
   */
  const store = (event: { id: string; type: string; payload: unknown }) =>
    db.transaction().execute(async (trx) => {
      const stored = await events.insert(trx, event)
      if (stored) await queue.enqueue(trx, job(), { eventId: event.id })
      return stored
    })

  return {
    store,

    /** Verifies the signature on the raw bytes, then stores the event and enqueues its processing (once). */
    async receive(rawBody: Buffer, signature: string | undefined) {
      if (secrets.length === 0) throw subscriptionsErrors.not_configured({ missing: 'STRIPE_WEBHOOK_SECRET' })
      const event = verifyWebhook(stripe, secrets, rawBody, signature, now().getTime())
      if (!event) throw stripeErrors.signature_invalid()
      await store({ id: event.id, type: event.type, payload: JSON.parse(rawBody.toString('utf8')) as unknown })
    },

    /** The job's work: count the attempt, apply, record the outcome; after the last failed attempt the event is `dead`. */
    async process(eventId: string) {
      const row = await events.startAttempt(db, eventId)
      if (!row || row.status === 'processed' || row.status === 'ignored') return
      try {
        const outcome = await apply({ id: row.id, type: row.type, payload: row.payload })
        await events.finish(db, row.id, outcome)
      } catch (err) {
        const dead = row.attempts >= PROCESS_ATTEMPTS
        await events.recordFailure(db, row.id, err instanceof Error ? err.message : String(err), dead)
        if (!dead) throw err
      }
    },

    list: (filter: { status?: StripeEventStatus; limit: number }) => events.list(db, filter),

    /** Puts a stored event back to `pending` with a fresh attempt count and enqueues it again. */
    async replay(eventId: string) {
      const row = await events.find(db, eventId)
      if (!row) throw stripeErrors.event_not_found()
      return db.transaction().execute(async (trx) => {
        const reset = await events.resetForReplay(trx, eventId)
        await queue.enqueue(trx, job(), { eventId })
        return reset
      })
    },
  }
}
export type StripeWebhooks = ReturnType<typeof createStripeWebhooks>
