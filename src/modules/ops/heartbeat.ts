import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import type { OpsTables } from './ops.tables.ts'

/** A process that has not beaten for this long is not counted as working jobs. */
export const HEARTBEAT_STALE_SECONDS = 60

/**
 * The "workers" signal of the status page: every process that works jobs (`startWorker`) writes its row every few
 * seconds; the page counts the rows beaten in the last minute (the database's clock, so every process agrees).
 * Rows of processes gone for a day are removed by the next beat.
 */
export const createWorkerHeartbeat = (deps: { db: Handle; intervalMs?: number }) => {
  const db = own<OpsTables>(deps.db)
  const processId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  let timer: NodeJS.Timeout | undefined

  const beat = async () => {
    await db
      .insertInto('opsWorkerHeartbeats')
      .values({ processId, hostname: hostname().slice(0, 200), pid: process.pid })
      .onConflict((oc) => oc.column('processId').doUpdateSet({ beatAt: sql`now()` }))
      .execute()
    await db
      .deleteFrom('opsWorkerHeartbeats')
      .where('beatAt', '<', sql<Date>`now() - interval '1 day'`)
      .execute()
  }

  return {
    beat,
    /** Beats now, then every `intervalMs` (15 s) until `stop`; a failed beat is retried at the next tick. */
    async start() {
      await beat().catch(() => undefined)
      timer ??= setInterval(() => void beat().catch(() => undefined), deps.intervalMs ?? 15_000)
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await db
        .deleteFrom('opsWorkerHeartbeats')
        .where('processId', '=', processId)
        .execute()
        .catch(() => undefined)
    },
    /** Processes that beat in the last minute. */
    async alive() {
      const row = await db
        .selectFrom('opsWorkerHeartbeats')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('beatAt', '>', sql<Date>`now() - make_interval(secs => ${HEARTBEAT_STALE_SECONDS})`)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
export type WorkerHeartbeat = ReturnType<typeof createWorkerHeartbeat>
