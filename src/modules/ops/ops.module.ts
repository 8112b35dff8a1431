import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { metricsAllowed } from '../../platform/observability/metrics-auth.ts'
import type { Handle } from '../../platform/db/database.ts'
import { opsErrors } from './ops.errors.ts'
import { backupJob } from './backup.job.ts'
import { pendingMigrations } from '../../platform/db/migrator.ts'
import type { Metrics } from '../../platform/observability/metrics.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

/** /healthz (process up), /readyz (database, migrations, queue, the modules' own checks), /metrics (Prometheus). Not in the API document. */
export { startMetricsServer } from './metrics-server.ts'

/** Health, readiness and metrics; the scheduled backup when one is configured. */
export const createOpsModule = (deps: Parameters<typeof opsRoutes>[0] & { backup?: Parameters<typeof backupJob>[0] }) =>
  ({ routes: [opsRoutes(deps)], jobs: deps.backup ? [backupJob(deps.backup)] : [] }) satisfies ModuleShape

const opsRoutes =
  ({
    db,
    queue,
    metrics,
    internalToken,
    checks = {},
  }: {
    db: Handle
    queue: Queue
    metrics: Metrics
    internalToken?: string
    /** Modules' own readiness (the WhatsApp session store): each true when it answers. */
    checks?: Record<string, () => Promise<boolean>>
  }) =>
  async (app: FastifyInstance) => {
    const hidden = { hide: true }
    app.get('/healthz', { schema: hidden, config: { public: true, rateLimit: false } }, async () => ({ status: 'ok' }))

    app.get('/readyz', { schema: hidden, config: { public: true, rateLimit: false } }, async (_req, reply) => {
      const check = async (fn: () => Promise<boolean>) => {
        try {
          return await fn()
        } catch {
          return false
        }
      }
      const database = await check(async () => {
        await sql`select 1`.execute(db)
        return true
      })
      const migrations = database && (await check(async () => (await pendingMigrations(db)).length === 0))
      const queueOk = await check(() => queue.isReady())
      const own = Object.fromEntries(
        await Promise.all(Object.entries(checks).map(async ([name, fn]) => [name, database && (await check(fn))])),
      ) as Record<string, boolean>
      const ok = database && migrations && queueOk && Object.values(own).every(Boolean)
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ready' : 'not_ready', checks: { database, migrations, queue: queueOk, ...own } })
    })

    app.get('/metrics', { schema: hidden, config: { public: true, rateLimit: false } }, async (req, reply) => {
      if (!metricsAllowed(req.headers, internalToken)) throw opsErrors.internal_token_required()
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
  }
