import { AsyncLocalStorage } from 'node:async_hooks'
import { PgBoss } from 'pg-boss'
import type { z } from 'zod'
import { executeRaw, type Database, type Handle } from '../db/database.ts'

/** A job definition: the name is the contract, the payload is validated before the handler sees it. */
export type JobDefinition<S extends z.ZodType = z.ZodType> = {
  name: string
  payload: S
  handler: (payload: z.infer<S>) => Promise<void>
  retryLimit?: number
  retryDelaySeconds?: number
  /** cron expression (UTC) for jobs that run on a schedule rather than on demand */
  cron?: string
}

export const defineJob = <S extends z.ZodType>(job: JobDefinition<S>) => job

/** pg-boss computes occurrences without a database: one idle instance serves every preview. */
let previewer: PgBoss | undefined
/**
 * The next occurrences of a cron expression in a time zone, in pg-boss's own dialect (the one that fires); throws a
 * readable Error for an expression or a zone it does not accept.
 */
export const previewSchedule = (cron: string, options: { tz?: string; count?: number; from?: Date } = {}) => {
  previewer ??= new PgBoss({ db: { executeSql: async () => ({ rows: [] }) } })
  return previewer.previewSchedule(cron, options)
}

export type Queue = {
  /** Enqueues on the given executor, so a job sent inside a transaction exists only if it commits. */
  enqueue<S extends z.ZodType>(
    executor: Handle,
    job: JobDefinition<S>,
    payload: z.infer<S>,
    options?: { startAfter?: Date; singletonKey?: string },
  ): Promise<void>
  /** Starts handling jobs in this process (embedded mode or a `worker` process). */
  work(jobs: JobDefinition[]): Promise<void>
  register(jobs: JobDefinition[]): Promise<void>
  /** Fires `job` on a cron schedule in a time zone, one schedule per key (replacing that key's previous one). */
  schedule<S extends z.ZodType>(
    job: JobDefinition<S>,
    key: string,
    cron: string,
    tz: string,
    payload: z.infer<S>,
  ): Promise<void>
  unschedule(job: JobDefinition, key: string): Promise<void>
  /** The keys a job is scheduled under. */
  scheduledKeys(job: JobDefinition): Promise<string[]>
  /** Removes the schedules of jobs that no longer exist (a deployment keeps pg-boss's schedules across releases). */
  retire(names: string[]): Promise<void>
  /** Jobs waiting per queue, for /metrics and /readyz. */
  depth(): Promise<{ name: string; queued: number; active: number; failed: number }[]>
  /** Per queue with a due job waiting, how long the oldest one has waited since it became due (seconds). */
  oldestAges(): Promise<{ name: string; seconds: number }[]>
  isReady(): Promise<boolean>
  stop(): Promise<void>
  boss: PgBoss
}

/**
 * The executor of the enqueue in progress. PGlite has one connection: a query pg-boss makes on its own
 * while our transaction holds that connection (e.g. a queue-cache lookup inside `send`) must join the
 * transaction, or it would wait for it forever.
 */
const enqueueContext = new AsyncLocalStorage<Handle>()

const pgliteAdapter = <T>(database: Database<T>) => ({
  // pg-boss sends its schema as one parameterless multi-statement script; everything else is a single statement.
  executeSql: async (text: string, values?: unknown[]) => {
    const inTransaction = enqueueContext.getStore()
    if (inTransaction) return { rows: await executeRaw(inTransaction, text, values ?? []) }
    return runOnPglite(database, text, values)
  },
})

const runOnPglite = <T>(database: Database<T>, text: string, values?: unknown[]) =>
  database.db.connection().execute(async () => {
    const pglite = database.pglite!
    if (!values?.length) {
      const results = await pglite.exec(text)
      return { rows: results.at(-1)?.rows ?? [] }
    }
    return { rows: (await pglite.query(text, values)).rows }
  })

export const createQueue = async <T>(database: Database<T>, options: { supervise: boolean }): Promise<Queue> => {
  const boss =
    database.kind === 'pglite'
      ? new PgBoss({
          db: pgliteAdapter(database),
          backend: 'pglite',
          supervise: options.supervise,
          schedule: options.supervise,
        })
      : new PgBoss({
          connectionString: database.connectionString!,
          max: 4,
          supervise: options.supervise,
          schedule: options.supervise,
        })
  boss.on('error', (err: Error) => {
    console.error('[queue]', err.message)
  })
  await boss.start()
  const registered = new Set<string>()

  const register = async (jobs: JobDefinition[]) => {
    for (const job of jobs) {
      if (registered.has(job.name)) continue
      await boss.createQueue(job.name, {
        retryLimit: job.retryLimit ?? 5,
        retryDelay: job.retryDelaySeconds ?? 30,
        retryBackoff: true,
      })
      registered.add(job.name)
    }
  }

  return {
    boss,
    register,
    async schedule(job, key, cron, tz, payload) {
      await register([job as JobDefinition])
      await boss.schedule(job.name, cron, job.payload.parse(payload) as object, { tz, key })
    },
    async unschedule(job, key) {
      await boss.unschedule(job.name, key)
    },
    async scheduledKeys(job) {
      return (await boss.getSchedules(job.name).catch(() => [])).map((s) => s.key)
    },
    async retire(names) {
      for (const name of names) if ((await boss.getSchedules(name).catch(() => [])).length) await boss.unschedule(name)
    },
    async enqueue(executor, job, payload, opts = {}) {
      const data = job.payload.parse(payload)
      await enqueueContext.run(executor, () =>
        boss.send(job.name, data as object, {
          ...opts,
          db: {
            executeSql: async (text: string, values?: unknown[]) => ({
              rows: await executeRaw(executor, text, values ?? []),
            }),
          },
        }),
      )
    },
    async work(jobs) {
      await register(jobs)
      for (const job of jobs) {
        await boss.work(job.name, { pollingIntervalSeconds: 2 }, async ([j]) => {
          if (j) await job.handler(job.payload.parse(j.data))
        })
        if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'UTC' })
      }
    },
    async depth() {
      const queues = await boss.getQueues()
      return queues.map((q) => ({
        name: q.name,
        queued: q.queuedCount ?? 0,
        active: q.activeCount ?? 0,
        failed: q.failedCount ?? 0,
      }))
    },
    async oldestAges() {
      // pg-boss's own table (job_i11 covers `state < 'active'` by name): created or retry, and due.
      const rows = (await executeRaw(
        database.db,
        `SELECT name, EXTRACT(EPOCH FROM (now() - min(start_after)))::float8 AS seconds FROM pgboss.job
         WHERE state < 'active' AND start_after <= now() GROUP BY name`,
      )) as { name: string; seconds: number | string }[]
      return rows.map((r) => ({ name: r.name, seconds: Math.max(0, Number(r.seconds)) }))
    },
    async isReady() {
      try {
        await boss.getQueues()
        return true
      } catch {
        return false
      }
    },
    stop: () => boss.stop({ graceful: true, timeout: 10_000 }),
  }
}
