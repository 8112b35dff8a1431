import { z } from 'zod'
import type { Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Ledger } from '../credits/credits.module.ts'
import type { Catalog, WorkspacePlans } from '../plans/plans.module.ts'
import type { StripeClient } from './stripe-client.ts'
import { stripeEventsRepository as stripeEvents } from './stripe-events.repository.ts'
import { subscriptionsRepository as subs } from './subscriptions.repository.ts'

// What we read from Stripe objects: only these fields, validated, whatever else the API version adds.
const Ref = z
  .union([z.string(), z.object({ id: z.string() }).passthrough()])
  .transform((v) => (typeof v === 'string' ? v : v.id))
const Metadata = z
  .record(z.string(), z.string())
  .nullish()
  .transform((m) => m ?? {})
const SubscriptionView = z
  .object({
    id: z.string(),
    customer: Ref,
    status: z.string(),
    metadata: Metadata,
    current_period_end: z.number().nullish(),
    items: z
      .object({
        data: z.array(
          z
            .object({ price: z.object({ id: z.string() }).passthrough(), current_period_end: z.number().nullish() })
            .passthrough(),
        ),
      })
      .passthrough(),
  })
  .passthrough()
const SessionView = z
  .object({
    id: z.string(),
    mode: z.string(),
    client_reference_id: z.string().nullish(),
    customer: Ref.nullish(),
    subscription: Ref.nullish(),
    payment_status: z.string().nullish(),
    metadata: Metadata,
  })
  .passthrough()
const InvoiceView = z
  .object({
    id: z.string(),
    customer: Ref,
    status: z.string().nullish(),
    subscription: Ref.nullish(),
    parent: z
      .object({ subscription_details: z.object({ subscription: Ref.nullish() }).passthrough().nullish() })
      .passthrough()
      .nullish(),
  })
  .passthrough()
const ChargeView = z
  .object({
    id: z.string(),
    customer: Ref.nullish(),
    amount: z.number(),
    amount_refunded: z.number(),
    currency: z.string(),
    payment_intent: Ref.nullish(),
  })
  .passthrough()
const DisputeView = z
  .object({ id: z.string(), charge: Ref, amount: z.number(), status: z.string().nullish() })
  .passthrough()
const InvoicePaymentView = z.object({ invoice: Ref }).passthrough()
const EventView = z.object({
  created: z.number(),
  data: z.object({ object: z.object({ id: z.string() }).passthrough() }),
})

export type Subscription = z.infer<typeof SubscriptionView>
export const parseSubscription = (raw: unknown): Subscription => SubscriptionView.parse(raw)
type Deps = {
  db: Kysely<SubscriptionsTables>
  stripe: StripeClient
  catalog: Catalog
  workspaces: WorkspacePlans
  audit: AuditService
  ledger: Pick<Ledger, 'open' | 'post' | 'find' | 'clawBack'>
}

const MICRO = 1_000_000n
/** Statuses that carry the subscription's plan: active and trialing, and past_due as a grace period. */
export const PAID_STATUSES = new Set(['active', 'trialing', 'past_due'])

/** The event types a handler exists for (drift repair asks Stripe for these only). */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
] as const
type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number]

/** The plan a subscription's price buys, its period end, and the plan the workspace gets from its status. */
export const subscriptionState = (catalog: Catalog, sub: Subscription) => {
  const price = sub.items.data[0]?.price.id
  if (!price) throw new Error(`The Stripe subscription ${sub.id} has no price.`)
  const plan = catalog.plans.find((p) => p.stripePriceId === price)
  if (!plan) throw new Error(`No plan has the Stripe price ${price} (check STRIPE_PRICE_*).`)
  const periodEnd = sub.items.data[0]?.current_period_end ?? sub.current_period_end
  return {
    plan,
    currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null,
    effectivePlan: PAID_STATUSES.has(sub.status) ? plan.id : 'free',
  }
}

/**
 * Stores a subscription's current state and sets the workspace's plan from it: the only place a paid plan is set,
 * shared by the event handlers and drift repair. Never grants credits.
 */
export const createSubscriptionSync =
  ({ catalog, workspaces, audit }: Pick<Deps, 'catalog' | 'workspaces' | 'audit'>) =>
  async (trx: Kysely<SubscriptionsTables>, workspaceId: string, sub: Subscription, eventCreated: Date) => {
    const { plan, currentPeriodEnd, effectivePlan } = subscriptionState(catalog, sub)
    const before = await workspaces.lockPlan(trx, workspaceId)
    if (before === undefined) throw new Error(`The workspace ${workspaceId} does not exist.`)
    await subs.save(trx, {
      workspaceId,
      customerId: sub.customer,
      subscriptionId: sub.id,
      status: sub.status,
      plan: plan.id,
      currentPeriodEnd,
      eventCreated,
    })
    if (effectivePlan !== before) {
      await workspaces.setPlan(trx, workspaceId, effectivePlan)
      await audit.record(trx, {
        action: 'subscription.changed',
        workspaceId,
        targetType: 'workspace',
        targetId: workspaceId,
        metadata: { from: before, to: effectivePlan, status: sub.status, subscriptionId: sub.id },
      })
    }
    return plan
  }
export type SubscriptionSync = ReturnType<typeof createSubscriptionSync>

/**
 * What each Stripe event does. Every handler re-fetches the object's current state from Stripe rather than trusting
 * the event's copy or the order of delivery, and every effect is idempotent (grants by request id), so a duplicate,
 * a replay or an out-of-order event converges on Stripe's current state.
 */
export const createStripeEventHandlers = ({ db, stripe, catalog, workspaces, audit, ledger }: Deps) => {
  const fetchSubscription = async (id: string) => parseSubscription(await stripe.subscriptions.retrieve(id))

  /** The workspace of a customer: the stored link, else the workspace id we put in the subscription's metadata. */
  const workspaceOf = async (customerId: string, fallback?: string | null) => {
    const linked = await subs.byCustomer(db, customerId)
    const workspaceId = linked?.workspaceId ?? fallback
    if (!workspaceId) throw new Error(`No workspace is linked to the Stripe customer ${customerId} yet.`)
    return workspaceId
  }

  const syncSubscription = createSubscriptionSync({ catalog, workspaces, audit })

  const grant = async (
    trx: Kysely<SubscriptionsTables>,
    workspaceId: string,
    credits: number,
    requestId: string,
    reason: string,
  ) => {
    await ledger.open(trx, workspaceId)
    const { replay } = await ledger.post(trx, {
      workspaceId,
      kind: 'purchase',
      amount: BigInt(credits) * MICRO,
      requestId,
      reason,
      createdBy: 'stripe',
    })
    if (!replay)
      await audit.record(trx, {
        action: 'credits.purchased',
        workspaceId,
        targetType: 'workspace',
        targetId: workspaceId,
        metadata: { credits, requestId },
      })
  }

  /**
   * The credits a payment bought: a top-up session's purchase, or a subscription invoice's monthly grant. Asked of
   * Stripe from the charge's PaymentIntent (its Checkout session, else the invoice it paid); undefined for anything else.
   */
  const purchaseOf = async (paymentIntent: string) => {
    const session = (await stripe.checkout.sessions.list({ payment_intent: paymentIntent, limit: 1 })).data[0]
    if (session) {
      const s = SessionView.parse(session)
      const workspaceId = s.client_reference_id ?? s.metadata.workspace_id
      return s.mode === 'payment' && s.metadata.kind === 'topup' && workspaceId
        ? { workspaceId, requestId: `topup:${s.id}` }
        : undefined
    }
    const payment = (
      await stripe.invoicePayments.list({
        payment: { type: 'payment_intent', payment_intent: paymentIntent },
        limit: 1,
      })
    ).data[0]
    if (!payment) return undefined
    const invoice = InvoiceView.parse(await stripe.invoices.retrieve(InvoicePaymentView.parse(payment).invoice))
    const subscriptionId = invoice.parent?.subscription_details?.subscription ?? invoice.subscription
    const sub = subscriptionId ? await fetchSubscription(subscriptionId) : undefined
    return {
      workspaceId: await workspaceOf(invoice.customer, sub?.metadata.workspace_id),
      requestId: `invoice:${invoice.id}`,
    }
  }

  /**
   * A refund or a chargeback takes back what the charge bought, in proportion to the part of it returned, as far as the
   * workspace still has it available; what was already spent is flagged (audit + the event's row, for the operator).
   * Idempotent: clawbacks of a charge are one group in the ledger, each event taking only what the group still owes.
   */
  const clawBack = async (eventId: string, chargeId: string, cause: 'refund' | 'dispute', disputed = 0) => {
    const charge = ChargeView.parse(await stripe.charges.retrieve(chargeId))
    if (!charge.payment_intent || charge.amount <= 0) return
    const purchase = await purchaseOf(charge.payment_intent)
    if (!purchase) return
    const bought = await ledger.find(db, purchase.workspaceId, purchase.requestId, 'purchase')
    if (!bought) return
    const returned = BigInt(Math.min(charge.amount, charge.amount_refunded + disputed))
    const target = (bought.amount * returned) / BigInt(charge.amount)
    const { workspaceId } = purchase
    await db.transaction().execute(async (trx) => {
      const { taken, short, replay } = await ledger.clawBack(trx, {
        workspaceId,
        group: `clawback:${charge.id}:`,
        requestId: eventId,
        target,
        createdBy: 'stripe',
        reason: `${cause === 'refund' ? 'Refund' : 'Chargeback'} of the payment ${charge.id} (${purchase.requestId})`,
      })
      await stripeEvents.flagShortfall(trx, eventId, workspaceId, short)
      if (replay) return
      const metadata = {
        chargeId: charge.id,
        cause,
        purchase: purchase.requestId,
        target: Number(target),
        taken: Number(taken),
        unrecovered: Number(short),
      }
      if (taken > 0n)
        await audit.record(trx, {
          action: 'credits.clawed_back',
          workspaceId,
          targetType: 'workspace',
          targetId: workspaceId,
          metadata,
        })
      if (short > 0n)
        await audit.record(trx, {
          action: 'subscription.clawback_short',
          workspaceId,
          targetType: 'workspace',
          targetId: workspaceId,
          metadata,
        })
    })
  }

  const handlers: Record<
    HandledEventType,
    (objectId: string, eventCreated: Date, object: Record<string, unknown>, eventId: string) => Promise<void>
  > = {
    'checkout.session.completed': async (id, created) => {
      const session = SessionView.parse(await stripe.checkout.sessions.retrieve(id))
      const workspaceId = session.client_reference_id ?? session.metadata.workspace_id
      if (!workspaceId) throw new Error(`The Checkout session ${id} names no workspace.`)
      if (session.mode === 'subscription' && session.subscription) {
        const sub = await fetchSubscription(session.subscription)
        await db.transaction().execute((trx) => syncSubscription(trx, workspaceId, sub, created))
      } else if (session.mode === 'payment' && session.metadata.kind === 'topup' && session.payment_status === 'paid') {
        const credits = Number(session.metadata.credits)
        if (!Number.isSafeInteger(credits) || credits <= 0)
          throw new Error(`The top-up session ${id} has no credit amount.`)
        await db
          .transaction()
          .execute((trx) => grant(trx, workspaceId, credits, `topup:${session.id}`, `Top-up: ${credits} credits`))
      }
    },
    'customer.subscription.created': async (id, created) => subscriptionChanged(id, created),
    'customer.subscription.updated': async (id, created) => subscriptionChanged(id, created),
    'customer.subscription.deleted': async (id, created) => subscriptionChanged(id, created),
    'invoice.paid': async (id, created) => {
      const invoice = InvoiceView.parse(await stripe.invoices.retrieve(id))
      if (invoice.status !== 'paid') return
      const subscriptionId = invoice.parent?.subscription_details?.subscription ?? invoice.subscription
      if (!subscriptionId) return
      const sub = await fetchSubscription(subscriptionId)
      const workspaceId = await workspaceOf(invoice.customer, sub.metadata.workspace_id)
      await db.transaction().execute(async (trx) => {
        const plan = await syncSubscription(trx, workspaceId, sub, created)
        if (plan.monthlyCredits > 0)
          await grant(
            trx,
            workspaceId,
            plan.monthlyCredits,
            `invoice:${invoice.id}`,
            `${plan.name} plan: monthly credits (invoice ${invoice.id})`,
          )
      })
    },
    'invoice.payment_failed': async (id, created) => {
      const invoice = InvoiceView.parse(await stripe.invoices.retrieve(id))
      const subscriptionId = invoice.parent?.subscription_details?.subscription ?? invoice.subscription
      const sub = subscriptionId ? await fetchSubscription(subscriptionId) : undefined
      const workspaceId = await workspaceOf(invoice.customer, sub?.metadata.workspace_id)
      await db.transaction().execute(async (trx) => {
        // Stripe moves the subscription to past_due itself (stored as it reports it); past_due keeps the plan as a grace period.
        if (sub) await syncSubscription(trx, workspaceId, sub, created)
        await audit.record(trx, {
          action: 'subscription.payment_failed',
          workspaceId,
          targetType: 'workspace',
          targetId: workspaceId,
          metadata: { invoiceId: invoice.id, subscriptionId: subscriptionId ?? null },
        })
      })
    },
    // The refund is audited, and the unspent credits the charge bought are taken back (from Stripe's current state).
    'charge.refunded': async (id, _created, object, eventId) => {
      const charge = ChargeView.parse(object)
      const linked = charge.customer ? await subs.byCustomer(db, charge.customer) : undefined
      if (linked)
        await audit.record(db, {
          action: 'subscription.charge_refunded',
          workspaceId: linked.workspaceId,
          targetType: 'workspace',
          targetId: linked.workspaceId,
          metadata: {
            chargeId: charge.id,
            amountRefunded: charge.amount_refunded,
            amount: charge.amount,
            currency: charge.currency,
          },
        })
      await clawBack(eventId, id, 'refund')
    },
    // A chargeback takes the disputed part back at once, as a refund would: the money has left.
    'charge.dispute.created': async (id, _created, _object, eventId) => {
      const dispute = DisputeView.parse(await stripe.disputes.retrieve(id))
      await clawBack(eventId, dispute.charge, 'dispute', dispute.amount)
    },
  }

  const subscriptionChanged = async (id: string, created: Date) => {
    const sub = await fetchSubscription(id)
    const workspaceId = await workspaceOf(sub.customer, sub.metadata.workspace_id)
    await db.transaction().execute((trx) => syncSubscription(trx, workspaceId, sub, created))
  }

  return async (event: {
    id: string
    type: string
    payload: Record<string, unknown>
  }): Promise<'processed' | 'ignored'> => {
    const handler = (handlers as Record<string, (typeof handlers)[HandledEventType] | undefined>)[event.type]
    if (!handler) return 'ignored'
    const parsed = EventView.parse(event.payload)
    await handler(parsed.data.object.id, new Date(parsed.created * 1000), parsed.data.object, event.id)
    return 'processed'
  }
}
