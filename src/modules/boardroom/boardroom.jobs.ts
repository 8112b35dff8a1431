import { sql } from 'kysely'
import { z } from 'zod'
import type { Db } from '../../schema.ts'
import { defineJob } from '../../platform/queue/queue.ts'
import { staleCutoffs } from '../../platform/realtime/run-watch.ts'

const STALE_AFTER_MS = 30 * 60_000

/** Meetings whose process died: closed as failed once their heartbeat stopped for a minute (or after 30 minutes), their event log ended. Runs every minute. */
export const sweepStaleMeetings = (db: Db, now: () => Date = () => new Date()) =>
  defineJob({
    name: 'boardroom.sweep-stale-meetings',
    payload: z.object({}).passthrough(),
    cron: '* * * * *',
    handler: async () => {
      const cutoff = staleCutoffs(now(), STALE_AFTER_MS)
      await db.transaction().execute(async (trx) => {
        const stale = await trx
          .updateTable('meetings')
          .set({ status: 'failed', finishedAt: now() })
          .where('status', '=', 'running')
          .where((eb) =>
            eb.or([eb(eb.fn.coalesce('heartbeatAt', 'createdAt'), '<', cutoff.beat), eb('createdAt', '<', cutoff.max)]),
          )
          .returning('id')
          .execute()
        for (const m of stale) {
          await sql`insert into meeting_events (meeting_id, seq, type, data)
          select ${m.id}, coalesce(max(seq), 0) + 1, 'done', ${JSON.stringify({ meetingId: m.id, status: 'failed' })}::jsonb
          from meeting_events where meeting_id = ${m.id}`.execute(trx)
        }
      })
    },
  })
