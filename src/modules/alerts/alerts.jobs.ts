import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'

/** Posts one alert to its workspace's webhook; enqueued in the transaction that raised it, retried on failure. */
export const deliverWebhookJob = (deliver: (alertId: string) => Promise<void>) =>
  defineJob({
    name: 'alerts.deliver-webhook',
    payload: z.object({ alertId: z.string().min(3).max(64) }),
    retryLimit: 8,
    retryDelaySeconds: 30,
    handler: async ({ alertId }) => {
      await deliver(alertId)
    },
  })
