import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'

/** Posts one alert to BILLING_ALERT_WEBHOOK_URL; enqueued in the transaction that raised the alert. */
export const notifyAlertJob = (deliver: (alertId: string) => Promise<void>) =>
  defineJob({
    name: 'billing.notify-alert',
    payload: z.object({ alertId: z.string().min(3).max(64) }),
    retryLimit: 10,
    retryDelaySeconds: 30,
    handler: async ({ alertId }) => {
      await deliver(alertId)
    },
  })

/** Reconciles yesterday (UTC) every night shortly after midnight; `date` reconciles another day. */
export const reconcileJob = (reconcile: (day: string | undefined) => Promise<unknown>) =>
  defineJob({
    name: 'billing.reconcile',
    payload: z
      .object({
        date: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/)
          .optional(),
      })
      .passthrough(),
    cron: '30 0 * * *',
    handler: async ({ date }) => {
      await reconcile(date)
    },
  })
