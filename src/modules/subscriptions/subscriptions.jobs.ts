import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'

/** Attempts before an event is marked `dead` (the first run and its retries). */
export const PROCESS_ATTEMPTS = 6

/**
 * Processes one stored Stripe event. The handler counts attempts on the event's row itself: after the last
 * failure it marks the event `dead` and stops (operators list and replay dead events).
 */
export const processStripeEventJob = (process: (eventId: string) => Promise<void>) =>
  defineJob({
    name: 'subscriptions.process-stripe-event',
    payload: z.object({ eventId: z.string().min(1) }).passthrough(),
    retryLimit: PROCESS_ATTEMPTS - 1,
    retryDelaySeconds: 30,
    handler: async (payload: { eventId: string }) => process(payload.eventId),
  })
export type ProcessStripeEventJob = ReturnType<typeof processStripeEventJob>

/**
 * Every hour: recovers Stripe events whose delivery failed and repairs subscriptions that drifted from Stripe's
 * (stripe-drift.service.ts). Safe to run any number of times; without STRIPE_SECRET_KEY it does nothing.
 */
export const repairDriftJob = (drift: { enabled: boolean; run: () => Promise<Record<string, number>> }) =>
  defineJob({
    name: 'subscriptions.repair-drift',
    payload: z.object({}).passthrough(),
    cron: '17 * * * *',
    retryLimit: 1,
    retryDelaySeconds: 300,
    handler: async () => {
      if (!drift.enabled) return
      const counts = await drift.run()
      if (Object.values(counts).some((n) => n > 0))
        console.info(`[subscriptions] drift repair: ${JSON.stringify(counts)}`)
    },
  })
