import { sql } from 'kysely'
import { z } from 'zod'
import type { Db } from '../../platform/db/database.ts'
import { defineJob } from '../../platform/queue/queue.ts'

const STALE_AFTER_MS = 30 * 60_000

/** Meetings whose process died: closed as failed after 30 minutes, their event log ended. */
export const sweepStaleMeetings = (db: Db, now: () => Date = () => new Date()) => defineJob({
  name: 'boardroom.sweep-stale-meetings',
  payload: z.object({}).passthrough(),
  cron: '*/5 * * * *',
  handler: async () => {
    await db.transaction().execute(async (trx) => {
      const stale = await trx.updateTable('meetings').set({ status: 'failed', finishedAt: now() })
        .where('status', '=', 'running').where('createdAt', '<', new Date(now().getTime() - STALE_AFTER_MS)).returning('id').execute()
      for (const m of stale) {
        await sql`insert into meeting_events (meeting_id, seq, type, data)
          select ${m.id}, coalesce(max(seq), 0) + 1, 'done', ${JSON.stringify({ meetingId: m.id, status: 'failed' })}::jsonb
          from meeting_events where meeting_id = ${m.id}`.execute(trx)
      }
    })
  },
})
