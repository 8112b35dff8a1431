import type { Db } from '../../platform/db/database.ts'
import type { Catalog } from '../plans/plans.module.ts'
import type { StripeClient } from './stripe-client.ts'
import { billingNotConfigured, noCustomer, planNotPurchasable, stripeUnavailable } from './subscriptions.errors.ts'
import { subscriptionsRepository as subs } from './subscriptions.repository.ts'

type Deps = {
  db: Db; stripe: StripeClient; catalog: Catalog
  config: { enabled: boolean; topupPrice: string | undefined; returnUrl: string }
}

/** Our own operation id, sent as Stripe's Idempotency-Key: a retried request never opens a second session or customer. */
type Op = { workspaceId: string; requestId: string }

const callStripe = async <T>(call: () => Promise<T>) => {
  try { return await call() } catch { throw stripeUnavailable() }
}

/** Checkout (subscription and top-up) and the customer portal; the webhook, not the redirect, applies the outcome. */
export const createCheckout = ({ db, stripe, catalog, config }: Deps) => {
  const requireEnabled = () => { if (!config.enabled) throw billingNotConfigured() }

  /** The workspace's Stripe customer, created once (idempotency key per workspace) and linked before any session. */
  const customerOf = async (workspaceId: string) => {
    const linked = await subs.byWorkspace(db, workspaceId)
    if (linked) return linked.stripeCustomerId
    const customer = await callStripe(() => stripe.customers.create({ metadata: { workspace_id: workspaceId } }, { idempotencyKey: `customer:${workspaceId}` }))
    await subs.link(db, workspaceId, customer.id)
    return (await subs.byWorkspace(db, workspaceId))?.stripeCustomerId ?? customer.id
  }

  return {
    async subscribe({ workspaceId, requestId }: Op, planId: string) {
      requireEnabled()
      const plan = catalog.find(planId)
      if (!plan || !plan.stripePriceId || plan.id === 'free') throw planNotPurchasable(planId)
      const customer = await customerOf(workspaceId)
      const session = await callStripe(() => stripe.checkout.sessions.create({
        mode: 'subscription', customer, client_reference_id: workspaceId,
        line_items: [{ price: plan.stripePriceId!, quantity: 1 }],
        subscription_data: { metadata: { workspace_id: workspaceId } },
        metadata: { workspace_id: workspaceId, plan: plan.id },
        success_url: `${config.returnUrl}?checkout=success`, cancel_url: `${config.returnUrl}?checkout=cancelled`,
      }, { idempotencyKey: `checkout:${workspaceId}:${requestId}` }))
      if (!session.url) throw stripeUnavailable()
      return { url: session.url }
    },

    async topup({ workspaceId, requestId }: Op, credits: number) {
      requireEnabled()
      if (!config.topupPrice) throw billingNotConfigured()
      const customer = await customerOf(workspaceId)
      const session = await callStripe(() => stripe.checkout.sessions.create({
        mode: 'payment', customer, client_reference_id: workspaceId,
        line_items: [{ price: config.topupPrice!, quantity: credits }],
        metadata: { kind: 'topup', credits: String(credits), workspace_id: workspaceId },
        success_url: `${config.returnUrl}?topup=success`, cancel_url: `${config.returnUrl}?topup=cancelled`,
      }, { idempotencyKey: `topup:${workspaceId}:${requestId}` }))
      if (!session.url) throw stripeUnavailable()
      return { url: session.url }
    },

    async portal({ workspaceId, requestId }: Op) {
      requireEnabled()
      const linked = await subs.byWorkspace(db, workspaceId)
      if (!linked) throw noCustomer()
      const session = await callStripe(() => stripe.billingPortal.sessions.create({ customer: linked.stripeCustomerId, return_url: config.returnUrl }, { idempotencyKey: `portal:${workspaceId}:${requestId}` }))
      return { url: session.url }
    },
  }
}
export type Checkout = ReturnType<typeof createCheckout>
