import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Ledger } from '../credits/credits.module.ts'
import { BILLING_PATH, type Catalog, type WorkspacePlans } from '../plans/plans.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { checkoutRoutes } from './checkout.routes.ts'
import { createCheckout } from './checkout.service.ts'
import { createStripeDrift } from './stripe-drift.service.ts'
import { createStripeEventHandlers, createSubscriptionSync } from './stripe-events.handlers.ts'
import { createStripeClient, webhookSecrets } from './stripe-client.ts'
import { createStripeWebhooks } from './stripe-webhooks.service.ts'
import { processStripeEventJob, repairDriftJob, type ProcessStripeEventJob } from './subscriptions.jobs.ts'
import { subscriptionsOperatorRoutes } from './subscriptions.routes.ts'
import { stripeWebhookRoutes } from './webhook.routes.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import { stripeEventsHealth, subscriptionsMetrics } from './subscriptions.metrics.ts'

type Deps = {
  db: Kysely<SubscriptionsTables>
  queue: Queue
  operator: OperatorGuard
  audit: AuditService
  /** The plans catalog (price ids ↔ plans, monthly credits) and tenancy's plan row: a paid plan is set only from here. */
  catalog: Catalog
  workspaces: WorkspacePlans
  ledger: Pick<Ledger, 'open' | 'post' | 'find' | 'clawBack'>
  scope: ScopeResolver
  config: Pick<
    Config,
    'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_API_BASE' | 'STRIPE_PRICE_TOPUP' | 'publicUrl'
  >
  now?: () => Date
}

/**
 * Stripe subscriptions: Checkout and the portal for workspace admins, the webhook (verified, stored once, processed
 * by a job), hourly drift repair (missed events recovered, subscriptions compared with Stripe's), and the operator's
 * view of stored events. Not the operator `billing` module (provider cost telemetry and reconciliation).
 */
export const createSubscriptionsModule = ({
  db,
  queue,
  operator,
  audit,
  catalog,
  workspaces,
  ledger,
  scope,
  config,
  now,
}: Deps) => {
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE)
  let job: ProcessStripeEventJob | undefined = undefined
  const webhooks = createStripeWebhooks({
    db,
    queue,
    stripe,
    secrets: webhookSecrets(config.STRIPE_WEBHOOK_SECRET),
    job: () => job!,
    now,
    apply: createStripeEventHandlers({ db, stripe, catalog, workspaces, audit, ledger }),
  })
  const checkout = createCheckout({
    db,
    stripe,
    catalog,
    ledger,
    config: {
      enabled: Boolean(config.STRIPE_SECRET_KEY),
      topupPrice: config.STRIPE_PRICE_TOPUP,
      returnUrl: `${config.publicUrl}${BILLING_PATH}`,
    },
  })
  // Drift repair: missed events stored and enqueued as a delivery is; drifted subscriptions synced as the handlers do.
  const drift = createStripeDrift({
    db,
    stripe,
    catalog,
    workspaces,
    audit,
    webhooks,
    now,
    enabled: Boolean(config.STRIPE_SECRET_KEY),
    sync: createSubscriptionSync({ catalog, workspaces, audit }),
  })
  job = processStripeEventJob((eventId) => webhooks.process(eventId))
  return {
    /** Prometheus: Stripe events pending and dead (scrape time). */
    registerMetrics: subscriptionsMetrics(db),
    /** The status page's aggregate: Stripe events late or dead in the last hour (counts only). */
    eventsHealth: () => stripeEventsHealth(db),
    webhooks,
    checkout,
    stripe,
    drift,
    jobs: [job, repairDriftJob(drift)],
    routes: [
      async (app: FastifyInstance) => {
        await app.register(stripeWebhookRoutes(webhooks))
        await app.register(subscriptionsOperatorRoutes({ operator, webhooks, drift }))
        await app.register(checkoutRoutes({ checkout, scope }))
      },
    ],
  } satisfies ModuleShape
}
export type SubscriptionsModule = ReturnType<typeof createSubscriptionsModule>
