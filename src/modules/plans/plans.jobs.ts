import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'
import type { PlansService } from './plans.service.ts'

/**
 * Every day (so a missed night is caught up the next one): the month's credits of the plans Stripe does not bill.
 * Safe to run any number of times: each workspace is granted once per calendar month (UTC).
 */
export const grantMonthlyCredits = (
  plans: Pick<PlansService, 'grantMonthlyCredits'>,
  now: () => Date = () => new Date(),
) =>
  defineJob({
    name: 'plans.grant-monthly-credits',
    payload: z.object({}).passthrough(),
    cron: '20 0 * * *',
    handler: async () => {
      await plans.grantMonthlyCredits(now())
    },
  })
