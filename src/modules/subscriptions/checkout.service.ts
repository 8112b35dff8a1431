import { z } from 'zod'
import { isSubscribed } from '../../../contracts/subscription-statuses.ts'
import type { BillingAccountDto, CheckoutDto, InvoiceDto } from '../../../contracts/subscriptions.ts'
import type { Kysely, Selectable } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'
import type { BillingCheckoutsTable } from './subscriptions.tables.ts'
import type { Catalog } from '../plans/plans.module.ts'
import type { Ledger } from '../credits/credits.module.ts'
import type { StripeClient } from './stripe-client.ts'
import { subscriptionsErrors } from './subscriptions.errors.ts'
import { stripeEventsRepository as stripeEvents } from './stripe-events.repository.ts'
import { subscriptionsRepository as subs } from './subscriptions.repository.ts'

type Deps = {
  db: Kysely<SubscriptionsTables>
  stripe: StripeClient
  catalog: Catalog
  /** Credits' ledger: whether a top-up's purchase was granted. */
  ledger: Pick<Ledger, 'find'>
  config: { enabled: boolean; topupPrice: string | undefined; returnUrl: string }
}

/** Our own operation id, sent as Stripe's Idempotency-Key: a retried request never opens a second session or customer. */
type Op = { workspaceId: string; userId: string; requestId: string }

const SessionState = z
  .object({
    id: z.string(),
    status: z.string().nullish(),
    payment_status: z.string().nullish(),
    invoice: z.union([z.string(), z.object({ id: z.string() }).passthrough()]).nullish(),
  })
  .passthrough()
/** Stripe fills `{CHECKOUT_SESSION_ID}` in when it redirects: the page asks for that session's outcome. */
const SESSION_PARAM = 'session_id={CHECKOUT_SESSION_ID}'

const callStripe = async <T>(call: () => Promise<T>) => {
  try {
    return await call()
  } catch {
    throw subscriptionsErrors.stripe_unavailable()
  }
}

// The invoice fields we show, validated whatever else the API version adds.
const InvoiceView = z
  .object({
    id: z.string(),
    number: z.string().nullish(),
    status: z.string().nullish(),
    currency: z.string(),
    created: z.number(),
    amount_due: z.number().int(),
    amount_paid: z.number().int(),
    hosted_invoice_url: z.string().nullish(),
    invoice_pdf: z.string().nullish(),
  })
  .passthrough()
const toInvoice = (raw: unknown): InvoiceDto => {
  const i = InvoiceView.parse(raw)
  return {
    id: i.id,
    number: i.number ?? null,
    status: i.status ?? null,
    amountDueCents: i.amount_due,
    amountPaidCents: i.amount_paid,
    currency: i.currency,
    createdAt: new Date(i.created * 1000).toISOString(),
    hostedInvoiceUrl: i.hosted_invoice_url ?? null,
    pdfUrl: i.invoice_pdf ?? null,
  }
}

/** Checkout (subscription and top-up), the customer portal and invoices; the webhook, not the redirect, applies the outcome. */
export const createCheckout = ({ db, stripe, catalog, ledger, config }: Deps) => {
  const requireEnabled = () => {
    if (!config.enabled) throw subscriptionsErrors.not_configured({ missing: 'STRIPE_SECRET_KEY' })
  }

  /** The workspace's Stripe customer, created once (idempotency key per workspace) and linked before any session. */
  const customerOf = async (workspaceId: string) => {
    const linked = await subs.byWorkspace(db, workspaceId)
    if (linked) return linked.stripeCustomerId
    const customer = await callStripe(() =>
      stripe.customers.create(
        { metadata: { workspace_id: workspaceId } },
        { idempotencyKey: `customer:${workspaceId}` },
      ),
    )
    await subs.link(db, workspaceId, customer.id)
    return (await subs.byWorkspace(db, workspaceId))?.stripeCustomerId ?? customer.id
  }

  /** The session a workspace admin opened (a retried request answers the same session: stored once). */
  const record = (row: {
    id: string
    workspaceId: string
    mode: 'subscription' | 'payment'
    plan: string | null
    credits: number | null
    createdBy: string
  }) =>
    db
      .insertInto('billingCheckouts')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()

  return {
    async subscribe({ workspaceId, userId, requestId }: Op, planId: string) {
      requireEnabled()
      const plan = catalog.find(planId)
      if (!plan || !plan.stripePriceId || plan.id === 'free')
        throw subscriptionsErrors.plan_not_purchasable({ plan: planId })
      const current = await subs.byWorkspace(db, workspaceId)
      if (current?.stripeSubscriptionId && isSubscribed(current.status)) throw subscriptionsErrors.already_subscribed()
      const customer = await customerOf(workspaceId)
      const session = await callStripe(() =>
        stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer,
            client_reference_id: workspaceId,
            line_items: [{ price: plan.stripePriceId!, quantity: 1 }],
            subscription_data: { metadata: { workspace_id: workspaceId } },
            metadata: { workspace_id: workspaceId, plan: plan.id },
            success_url: `${config.returnUrl}?checkout=success&${SESSION_PARAM}`,
            cancel_url: `${config.returnUrl}?checkout=cancelled`,
          },
          { idempotencyKey: `checkout:${workspaceId}:${requestId}` },
        ),
      )
      if (!session.url) throw subscriptionsErrors.stripe_unavailable()
      await record({
        id: session.id,
        workspaceId,
        mode: 'subscription',
        plan: plan.id,
        credits: null,
        createdBy: userId,
      })
      return { url: session.url }
    },

    async topup({ workspaceId, userId, requestId }: Op, credits: number) {
      requireEnabled()
      if (!config.topupPrice) throw subscriptionsErrors.not_configured({ missing: 'STRIPE_SECRET_KEY' })
      const customer = await customerOf(workspaceId)
      const session = await callStripe(() =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            customer,
            client_reference_id: workspaceId,
            line_items: [{ price: config.topupPrice!, quantity: credits }],
            metadata: { kind: 'topup', credits: String(credits), workspace_id: workspaceId },
            success_url: `${config.returnUrl}?topup=success&${SESSION_PARAM}`,
            cancel_url: `${config.returnUrl}?topup=cancelled`,
          },
          { idempotencyKey: `topup:${workspaceId}:${requestId}` },
        ),
      )
      if (!session.url) throw subscriptionsErrors.stripe_unavailable()
      await record({ id: session.id, workspaceId, mode: 'payment', plan: null, credits, createdBy: userId })
      return { url: session.url }
    },

    /** What the billing page needs to offer: Stripe on this server, a top-up price, a customer, the subscription as last reported. */
    async account(workspaceId: string): Promise<BillingAccountDto> {
      const linked = await subs.byWorkspace(db, workspaceId)
      return {
        billingEnabled: config.enabled,
        topupEnabled: config.enabled && Boolean(config.topupPrice),
        hasCustomer: Boolean(linked),
        subscription:
          linked?.stripeSubscriptionId && linked.status
            ? {
                status: linked.status,
                plan: linked.plan,
                currentPeriodEnd: linked.currentPeriodEnd?.toISOString() ?? null,
              }
            : null,
        unrecoveredCredits: Number(await stripeEvents.unrecoveredFor(db, workspaceId)),
      }
    },

    /** The customer's invoices from Stripe, newest first, paged with Stripe's own cursor (the last invoice id). */
    async invoices(workspaceId: string, page: { limit: number; cursor?: string | undefined }) {
      requireEnabled()
      const linked = await subs.byWorkspace(db, workspaceId)
      if (!linked) return { items: [], nextCursor: null }
      const list = await callStripe(() =>
        stripe.invoices.list({
          customer: linked.stripeCustomerId,
          limit: page.limit,
          ...(page.cursor ? { starting_after: page.cursor } : {}),
        }),
      )
      const items = list.data.map(toInvoice)
      return { items, nextCursor: list.has_more ? (items.at(-1)?.id ?? null) : null }
    },

    /** A Checkout session this server opened, else 404; the route authorizes the caller against its workspace before anything else. */
    async findCheckout(id: string) {
      const row = await db.selectFrom('billingCheckouts').selectAll().where('id', '=', id).executeTakeFirst()
      if (!row) throw subscriptionsErrors.checkout_not_found()
      return row
    },

    /**
     * Where a Checkout the workspace opened stands, for the page Stripe sends the browser back to: Stripe says whether
     * it was paid; our ledger and plan say whether the webhook has applied it (the plan and its first invoice's
     * credits, or the top-up). Without Stripe configured (any more) only what our records show is answered.
     */
    async checkoutStatus(row: Selectable<BillingCheckoutsTable>): Promise<CheckoutDto> {
      const { workspaceId } = row
      const dto = (status: CheckoutDto['status']): CheckoutDto => ({
        id: row.id,
        mode: row.mode,
        plan: row.plan,
        status,
        createdAt: row.createdAt.toISOString(),
        credits: row.credits ?? catalog.find(row.plan ?? '')?.monthlyCredits ?? null,
      })
      const granted = async (requestId: string) => Boolean(await ledger.find(db, workspaceId, requestId, 'purchase'))
      const planApplied = async () => {
        const linked = await subs.byWorkspace(db, workspaceId)
        return linked?.plan === row.plan && isSubscribed(linked?.status)
      }
      if (!config.enabled)
        return dto(
          (row.mode === 'payment' ? await granted(`topup:${row.id}`) : await planApplied()) ? 'applied' : 'open',
        )
      const session = SessionState.parse(await callStripe(() => stripe.checkout.sessions.retrieve(row.id)))
      if (session.status === 'expired') return dto('expired')
      if (
        session.status !== 'complete' ||
        (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required')
      )
        return dto('open')
      if (row.mode === 'payment') return dto((await granted(`topup:${row.id}`)) ? 'applied' : 'confirming')
      const invoice = typeof session.invoice === 'string' ? session.invoice : session.invoice?.id
      const creditsApplied = !invoice || (await granted(`invoice:${invoice}`))
      return dto((await planApplied()) && creditsApplied ? 'applied' : 'confirming')
    },

    async portal({ workspaceId, requestId }: Op) {
      requireEnabled()
      const linked = await subs.byWorkspace(db, workspaceId)
      if (!linked) throw subscriptionsErrors.no_customer()
      const session = await callStripe(() =>
        stripe.billingPortal.sessions.create(
          { customer: linked.stripeCustomerId, return_url: `${config.returnUrl}?portal=return` },
          { idempotencyKey: `portal:${workspaceId}:${requestId}` },
        ),
      )
      return { url: session.url }
    },
  }
}
export type Checkout = ReturnType<typeof createCheckout>
