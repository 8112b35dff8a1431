import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import { defineJob } from '../../../platform/queue/queue.ts'
import type { Runs } from '../../../platform/runs/runs.ts'
import type { FlowsTables } from '../flows.tables.ts'

const BATCH = 500

/**
 * Run retention, an operator setting (`FLOW_RUN_RETENTION_DAYS`; unset keeps every run): ended runs older than that are
 * deleted with their steps and logs, a batch at a time, daily; payloads no step refers to any more go with them.
 * Members never delete runs.
 */
export const createRetention = ({
  db,
  runs,
  days,
}: {
  db: Kysely<FlowsTables>
  runs: Runs
  days?: number | undefined
}) => {
  const prune = async (now = new Date()) => {
    if (!days) return 0
    const cutoff = new Date(now.getTime() - days * 86_400_000)
    let total = 0
    for (;;) {
      const deleted = await db.transaction().execute(async (trx) => {
        const old = (
          await trx
            .selectFrom('flowRuns')
            .select('id')
            .where('status', 'in', ['completed', 'failed', 'cancelled'])
            .where('finishedAt', '<', cutoff)
            .orderBy('finishedAt')
            .limit(BATCH)
            .execute()
        ).map((r) => r.id)
        if (!old.length) return 0
        // A newer run called by an old one keeps its own trace; only the link goes.
        await trx.updateTable('flowRuns').set({ parentRunId: null }).where('parentRunId', 'in', old).execute()
        await trx.deleteFrom('flowSteps').where('runId', 'in', old).execute()
        await trx.deleteFrom('flowRuns').where('id', 'in', old).execute()
        await runs.prune(trx, old)
        return old.length
      })
      total += deleted
      if (deleted < BATCH) break
    }
    await sql`delete from flow_payloads p where p.created_at < ${cutoff}
      and not exists (select 1 from flow_steps s where s.input_ref = p.id or s.output_ref = p.id)`.execute(db)
    return total
  }
  const job = defineJob({
    name: 'flows.prune-runs',
    payload: z.object({}).passthrough(),
    cron: '17 3 * * *',
    handler: async () => {
      await prune()
    },
  })
  return { prune, jobs: [job] }
}
