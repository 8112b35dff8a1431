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
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { createWorkerHeartbeat } from './heartbeat.ts'
import { createIncidents } from './incidents.service.ts'
import { createStatusChecks, type StripeHealth, type WhatsAppHealth } from './status.checks.ts'
import { createStatusReader, statusRoutes } from './status.routes.ts'

/** /healthz (process up), /readyz (database, migrations, queue, the modules' own checks), /metrics (Prometheus). Not in the API document. */
export { startMetricsServer } from './metrics-server.ts'

export type { WhatsAppHealth, StripeHealth } from './status.checks.ts'

/**
 * Health, readiness and metrics; the public status page (`GET /api/status`: live checks and the operator's incidents)
 * and the heartbeat of the processes working jobs; the scheduled backup when one is configured.
 */
export const createOpsModule = (
  deps: Parameters<typeof opsRoutes>[0] & {
    backup?: Parameters<typeof backupJob>[0]
    audit: Pick<AuditService, 'record'>
    operator: OperatorGuard
    /** How long one computed status is served to every visitor of this process (0: computed each time). */
    statusCacheMs: number
    /** Other modules' aggregates, read through their public functions. */
    whatsapp: () => Promise<WhatsAppHealth>
    /** Absent when Stripe is not configured. */
    stripe?: () => Promise<StripeHealth>
  },
) => {
  const heartbeat = createWorkerHeartbeat({ db: deps.db })
  const incidents = createIncidents({ db: deps.db, audit: deps.audit })
  const checks = createStatusChecks({
    db: deps.db,
    queue: deps.queue,
    heartbeat,
    whatsapp: deps.whatsapp,
    ...(deps.stripe ? { stripe: deps.stripe } : {}),
  })
  const reader = createStatusReader({
    checks,
    incidents,
    cacheMs: deps.statusCacheMs,
    log: (key, err) =>
      console.warn(`[status] ${key} check failed: ${err instanceof Error ? err.message : String(err)}`),
  })
  return {
    /** Started with the process's job workers (`startWorker`), stopped at close. */
    heartbeat,
    incidents,
    status: reader,
    routes: [opsRoutes(deps), statusRoutes({ reader, incidents, operator: deps.operator })],
    jobs: deps.backup ? [backupJob(deps.backup)] : [],
  } satisfies ModuleShape
}

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
