import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Metrics } from '../../platform/observability/metrics.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Ledger, PriceBook } from '../credits/credits.module.ts'
import type { CatalogEntry } from '../models/models.module.ts'
import { createAlertWebhook } from './alert-webhook.ts'
import { notifyAlertJob, reconcileJob } from './billing.jobs.ts'
import { registerBillingMetrics } from './billing.metrics.ts'
import { billingRoutes } from './billing.routes.ts'
import { createCalibration } from './calibration.service.ts'
import { createReconciliation } from './reconciliation.service.ts'
import { createShadowSync } from './shadow-sync.service.ts'
import { createTelemetry } from './telemetry.service.ts'
import { createUsageReader } from './usage.repository.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

type Deps = {
  db: Kysely<BillingTables>
  book: PriceBook
  /** Credits' ledger: how holds compared with what was charged (calibration). */
  ledger: Pick<Ledger, 'holdRatios'>
  audit: AuditService
  queue: Queue
  metrics: Metrics
  operator: OperatorGuard
  config: Pick<Config, 'BILLING_MARGIN_ALERT_PERCENT' | 'BILLING_ALERT_WEBHOOK_URL'>
  /** Every model with a list price (models.priceableModel): what shadow-sync prices a called model with. */
  catalog: (modelId: string) => CatalogEntry | undefined
  now?: () => Date
  /** Margin alerts to the operator's alert list (alerts). */
  raiseAlert?: Parameters<typeof createReconciliation>[0]['raise']
}

/**
 * Billing for the operator: cost telemetry, shadow pricing, live-rate calibration, and the nightly reconciliation
 * of provider invoices with recorded cost, with margin alerts (audit event, /metrics, optional webhook).
 */
export const createBillingModule = ({
  db,
  book,
  ledger,
  audit,
  queue,
  metrics,
  operator,
  config,
  catalog,
  now = () => new Date(),
  raiseAlert,
}: Deps) => {
  const usage = createUsageReader({ book, ledger })
  const targetBps = Math.round(config.BILLING_MARGIN_ALERT_PERCENT * 100)
  const notify = notifyAlertJob(createAlertWebhook({ db, url: config.BILLING_ALERT_WEBHOOK_URL }))
  const reconciliation = createReconciliation({
    db,
    usage,
    audit,
    queue,
    now,
    targetBps,
    notify: config.BILLING_ALERT_WEBHOOK_URL ? notify : undefined,
    raise: raiseAlert,
  })
  const calibration = createCalibration({ db, book, usage, audit, floorBps: targetBps, now })
  registerBillingMetrics(metrics, db)
  return {
    jobs: [reconcileJob((day) => reconciliation.run(day, 'cron')), notify],
    routes: [
      async (app: FastifyInstance) => {
        await app.register(
          billingRoutes({
            operator,
            telemetry: createTelemetry({ db, usage, now }),
            shadowSync: createShadowSync({ db, book, usage, catalog }),
            calibration,
            reconciliation,
          }),
        )
      },
    ],
  } satisfies ModuleShape
}
export type BillingModule = ReturnType<typeof createBillingModule>
