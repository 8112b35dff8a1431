import { z } from 'zod'
import type { Db } from '../../schema.ts'
import { defineJob } from '../../platform/queue/queue.ts'
import { staleCutoffs } from '../../platform/realtime/run-watch.ts'
import { events } from './chat.repository.ts'

const STALE_AFTER_MS = 15 * 60_000

/**
 * Answers whose process died stay "running" forever otherwise: once the run's heartbeat has stopped for a minute
 * (or after 15 minutes whatever happens: no answer takes that long) the run and its message are closed as failed,
 * keeping whatever text was saved. Runs every minute.
 */
export const sweepStaleRuns = (db: Db, now: () => Date = () => new Date()) =>
  defineJob({
    name: 'chat.sweep-stale-runs',
    payload: z.object({}).passthrough(),
    cron: '* * * * *',
    handler: async () => {
      const cutoff = staleCutoffs(now(), STALE_AFTER_MS)
      await db.transaction().execute(async (trx) => {
        const stale = await trx
          .updateTable('chatRuns')
          .set({ status: 'failed', finishedAt: now() })
          .where('status', '=', 'running')
          .where((eb) =>
            eb.or([eb(eb.fn.coalesce('heartbeatAt', 'createdAt'), '<', cutoff.beat), eb('createdAt', '<', cutoff.max)]),
          )
          .returning(['id', 'messageId'])
          .execute()
        if (stale.length) {
          await trx
            .updateTable('messages')
            .set({
              status: 'failed',
              completedAt: now(),
              error: JSON.stringify({
                code: 'chat.interrupted',
                message: 'The server stopped while writing this answer.',
              }),
            })
            .where(
              'id',
              'in',
              stale.map((s) => s.messageId),
            )
            .where('status', '=', 'streaming')
            .execute()
        }
        // Streams following these answers end with the final event, like any other.
        for (const run of stale) await events.appendDone(trx, run.id, { messageId: run.messageId, status: 'failed' })
      })
    },
  })
