import { z } from 'zod'
import type { BillingAccountDto, InvoiceDto } from '../../../contracts/subscriptions.ts'
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

// The invoice fields we show, validated whatever else the API version adds.
const InvoiceView = z.object({
  id: z.string(), number: z.string().nullish(), status: z.string().nullish(), currency: z.string(), created: z.number(),
  amount_due: z.number().int(), amount_paid: z.number().int(), hosted_invoice_url: z.string().nullish(), invoice_pdf: z.string().nullish(),
}).passthrough()
const toInvoice = (raw: unknown): InvoiceDto => {
  const i = InvoiceView.parse(raw)
  return {
    id: i.id, number: i.number ?? null, status: i.status ?? null, amountDueCents: i.amount_due, amountPaidCents: i.amount_paid,
    currency: i.currency, createdAt: new Date(i.created * 1000).toISOString(), hostedInvoiceUrl: i.hosted_invoice_url ?? null, pdfUrl: i.invoice_pdf ?? null,
  }
}

/** Checkout (subscription and top-up), the customer portal and invoices; the webhook, not the redirect, applies the outcome. */
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

    /** What the billing page needs to offer: Stripe on this server, a top-up price, a customer, the subscription as last reported. */
    async account(workspaceId: string): Promise<BillingAccountDto> {
      const linked = await subs.byWorkspace(db, workspaceId)
      return {
        billingEnabled: config.enabled, topupEnabled: config.enabled && Boolean(config.topupPrice), hasCustomer: Boolean(linked),
        subscription: linked?.stripeSubscriptionId && linked.status
          ? { status: linked.status, plan: linked.plan, currentPeriodEnd: linked.currentPeriodEnd?.toISOString() ?? null }
          : null,
      }
    },

    /** The customer's invoices from Stripe, newest first, paged with Stripe's own cursor (the last invoice id). */
    async invoices(workspaceId: string, page: { limit: number; cursor?: string | undefined }) {
      requireEnabled()
      const linked = await subs.byWorkspace(db, workspaceId)
      if (!linked) return { items: [], nextCursor: null }
      const list = await callStripe(() => stripe.invoices.list({ customer: linked.stripeCustomerId, limit: page.limit, ...(page.cursor ? { starting_after: page.cursor } : {}) }))
      const items = list.data.map(toInvoice)
      return { items, nextCursor: list.has_more ? items.at(-1)?.id ?? null : null }
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
