import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'
import type { CatalogEntry } from '../models/models.module.ts'
import type { StatementsService } from './statements.service.ts'
import { monthKey, previousMonthKey } from './caps.ts'
import type { Metering } from './metering.ts'

/** Holds whose process died are resolved by expiry, every minute. */
export const sweepExpiredHolds = (metering: Metering, catalog: (modelId: string) => CatalogEntry | undefined) =>
  defineJob({
    name: 'credits.sweep-expired-holds',
    payload: z.object({}).passthrough(),
    cron: '* * * * *',
    handler: async () => {
      while ((await metering.sweepExpired(catalog)) > 0) {
        /* until none is left */
      }
    },
  })

/** Monthly statements: on the 1st for the month that ended, and every night for the month so far. */
export const buildStatements = (
  statements: Pick<StatementsService, 'buildStatements'>,
  now: () => Date = () => new Date(),
) =>
  defineJob({
    name: 'credits.build-statements',
    payload: z
      .object({
        month: z
          .string()
          .regex(/^\d{4}-\d{2}$/)
          .optional(),
      })
      .passthrough(),
    cron: '15 0 * * *',
    handler: async (payload: { month?: string }) => {
      if (payload.month) {
        await statements.buildStatements(payload.month)
        return
      }
      const today = now()
      if (today.getUTCDate() === 1) await statements.buildStatements(previousMonthKey(today))
      await statements.buildStatements(monthKey(today))
    },
  })
