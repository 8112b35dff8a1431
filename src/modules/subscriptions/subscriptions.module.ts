import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { Db } from '../../platform/db/database.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import { createStripeClient, webhookSecrets } from './stripe-client.ts'
import { createStripeWebhooks } from './stripe-webhooks.service.ts'
import { processStripeEventJob, type ProcessStripeEventJob } from './subscriptions.jobs.ts'
import { subscriptionsOperatorRoutes } from './subscriptions.routes.ts'
import { stripeWebhookRoutes } from './webhook.routes.ts'

type Deps = {
  db: Db; queue: Queue; operator: OperatorGuard
  config: Pick<Config, 'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_API_BASE'>
  now?: () => Date
}

/**
 * Stripe subscriptions: the webhook (verified, stored once, processed by a job), and the operator's view of
 * stored events. Not the operator `billing` module (provider cost telemetry and reconciliation).
 */
export const createSubscriptionsModule = ({ db, queue, operator, config, now }: Deps) => {
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE)
  let job: ProcessStripeEventJob | undefined = undefined
  const webhooks = createStripeWebhooks({
    db, queue, stripe, secrets: webhookSecrets(config.STRIPE_WEBHOOK_SECRET), job: () => job!, now,
    // Event handlers arrive in the next increment; until then an event is stored and marked ignored (replayable).
    apply: async () => 'ignored',
  })
  job = processStripeEventJob((eventId) => webhooks.process(eventId))
  return {
    webhooks, stripe,
    jobs: [job],
    routes: async (app: FastifyInstance) => {
      await app.register(stripeWebhookRoutes(webhooks))
      await app.register(subscriptionsOperatorRoutes({ operator, webhooks }))
    },
  }
}
export type SubscriptionsModule = ReturnType<typeof createSubscriptionsModule>
