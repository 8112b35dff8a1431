import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recoveryWindowStart } from '../../src/modules/subscriptions/stripe-drift.service.ts'
import type { FakeStripe } from '../fakes/stripe.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'
import {
  jobOf,
  planOf,
  processPending,
  PROCESS_STRIPE_EVENT as PROCESS,
  purchases,
  startStripeContext,
  subscriptionLink,
  webhookInto,
} from './stripe-kit.ts'

const SECRET = 'whsec_test_drift_0123456789'
const REPAIR = 'subscriptions.repair-drift'
const DAY = 86_400

describe("drift repair recovers missed Stripe events and converges subscriptions on Stripe's", () => {
  let ctx: TestContext
  let stripe: FakeStripe
  beforeAll(async () => {
    ;({ stripe, ctx } = await startStripeContext(SECRET, {
      STRIPE_PRICE_STARTER: 'price_starter',
      STRIPE_PRICE_PRO: 'price_pro',
      STRIPE_PRICE_AGENCY: 'price_agency',
    }))
    stripe.deliverTo(webhookInto(ctx, SECRET))
  })
  afterAll(async () => {
    await ctx?.close()
    await stripe?.close()
  })

  let n = 0
  const ids = () => {
    n++
    return { customer: `cus_d${n}`, subscription: `sub_d${n}`, invoice: `in_d${n}` }
  }
  const subscription = (
    id: string,
    customer: string,
    workspaceId: string,
    price: string,
    status = 'active',
    periodEnd = Math.floor(Date.now() / 1000) + 30 * DAY,
  ) => ({
    id,
    object: 'subscription',
    customer,
    status,
    metadata: { workspace_id: workspaceId },
    current_period_end: periodEnd,
    items: {
      object: 'list',
      data: [{ id: `si_${id}`, price: { id: price, object: 'price' }, current_period_end: periodEnd }],
    },
  })
  const invoice = (id: string, customer: string, sub: string) => ({
    id,
    object: 'invoice',
    customer,
    status: 'paid',
    parent: { type: 'subscription_details', subscription_details: { subscription: sub } },
  })

  const repair = () => ctx.container.subscriptions.drift.run()
  const stored = (eventId: string) =>
    ctx.container.db.selectFrom('stripeEvents').selectAll().where('id', '=', eventId).execute()
  const queuedFor = (eventId: string) =>
    ctx.container.queue.boss.findJobs<{ eventId: string }>(PROCESS, { data: { eventId } })
  const driftAudits = async (workspaceId?: string) => {
    let q = ctx.container.db.selectFrom('auditEvents').selectAll().where('action', '=', 'subscription.drift_repaired')
    if (workspaceId) q = q.where('workspaceId', '=', workspaceId)
    return q.execute()
  }
  /** A workspace on a paid subscription, applied through a delivered event as usual. */
  const subscribed = async (name: string, price = 'price_pro') => {
    const { workspaceId } = await onboard(ctx.app, name)
    const id = ids()
    const sub = subscription(id.subscription, id.customer, workspaceId, price)
    stripe.put(sub)
    await stripe.emit('customer.subscription.created', sub)
    await processPending(ctx)
    return { workspaceId, id, sub }
  }

  it("recovers an invoice.paid whose delivery failed: processed once, plan set and the invoice's credits granted once", async () => {
    const { workspaceId } = await onboard(ctx.app, 'missed-invoice')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_starter'))
    stripe.put(invoice(id.invoice, id.customer, id.subscription))
    const event = await stripe.emit('invoice.paid', invoice(id.invoice, id.customer, id.subscription), {
      deliver: false,
    })
    expect(await stored(event.id)).toHaveLength(0)

    const counts = await repair()

    expect(counts.eventsRecovered).toBe(1)
    expect(await stored(event.id)).toEqual([expect.objectContaining({ type: 'invoice.paid', status: 'pending' })])
    expect(await queuedFor(event.id)).toHaveLength(1)
    await processPending(ctx)
    expect(await planOf(ctx, workspaceId)).toBe('starter')
    const grants = await purchases(ctx, workspaceId)
    expect(grants).toHaveLength(1)
    expect(grants[0]).toMatchObject({ requestId: `invoice:${id.invoice}`, amount: 1500n * 1_000_000n })
  })

  it('recovers nothing more when run again', async () => {
    const before = (await ctx.container.db.selectFrom('stripeEvents').select('id').execute()).length

    const counts = await repair()
    await processPending(ctx)

    expect(counts.eventsRecovered).toBe(0)
    expect(await ctx.container.db.selectFrom('stripeEvents').select('id').execute()).toHaveLength(before)
  })

  it('does not store or enqueue again an event that was delivered', async () => {
    const { workspaceId } = await onboard(ctx.app, 'delivered')
    const id = ids()
    const sub = subscription(id.subscription, id.customer, workspaceId, 'price_pro')
    stripe.put(sub)
    const event = await stripe.emit('customer.subscription.created', sub)
    expect(await stored(event.id)).toHaveLength(1)

    const counts = await repair()

    expect(counts.eventsRecovered).toBe(0)
    expect(await stored(event.id)).toHaveLength(1)
    expect(await queuedFor(event.id)).toHaveLength(1)
  })

  it('asks Stripe only for the event types it handles, from a bounded window', async () => {
    await repair()

    const list = stripe.requests.filter((r) => r.method === 'GET' && r.path === '/v1/events').at(-1)!
    expect(
      Object.entries(list.form)
        .filter(([k]) => k.startsWith('types['))
        .map(([, v]) => v),
    ).toEqual(expect.arrayContaining(['invoice.paid', 'checkout.session.completed', 'customer.subscription.deleted']))
    const since = Number(list.form['created[gte]'])
    expect(since).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - DAY)
    expect(since).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 30 * DAY)
  })

  it('repairs a subscription canceled in Stripe without an event: back to Free, audited, no credits', async () => {
    const { workspaceId, id } = await subscribed('canceled-silently')
    expect(await planOf(ctx, workspaceId)).toBe('pro')
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro', 'canceled'))

    const counts = await repair()

    expect(counts.subscriptionsRepaired).toBe(1)
    expect(await planOf(ctx, workspaceId)).toBe('free')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({
      stripeSubscriptionId: id.subscription,
      status: 'canceled',
    })
    const audits = await driftAudits(workspaceId)
    expect(audits).toHaveLength(1)
    expect(audits[0]!.metadata).toMatchObject({
      before: { status: 'active', plan: 'pro', workspacePlan: 'pro' },
      after: { status: 'canceled', plan: 'pro', workspacePlan: 'free' },
    })
    expect(await purchases(ctx, workspaceId)).toHaveLength(0)
  })

  it('repairs a price changed in Stripe without an event: the plan follows, no credits', async () => {
    const { workspaceId, id } = await subscribed('price-changed')
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_starter'))

    await repair()

    expect(await planOf(ctx, workspaceId)).toBe('starter')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({ plan: 'starter', status: 'active' })
    expect(await driftAudits(workspaceId)).toHaveLength(1)
    expect(await purchases(ctx, workspaceId)).toHaveLength(0)
  })

  it('applies a subscription Stripe has for a customer we have linked but never saw subscribe', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'linked-only')
    await call(ctx.app, 'POST', '/api/billing/checkout', { cookie: user.cookie, workspaceId }, { plan: 'pro' })
    const customer = (await subscriptionLink(ctx, workspaceId))!.stripeCustomerId
    expect((await subscriptionLink(ctx, workspaceId))!.stripeSubscriptionId).toBeNull()
    stripe.put(subscription(`sub_for_${customer}`, customer, workspaceId, 'price_pro'))

    await repair()

    expect(await planOf(ctx, workspaceId)).toBe('pro')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({
      stripeSubscriptionId: `sub_for_${customer}`,
      status: 'active',
      plan: 'pro',
    })
    expect(await purchases(ctx, workspaceId)).toHaveLength(0)
  })

  it('writes nothing when nothing drifted', async () => {
    await subscribed('in-step')
    const links = await ctx.container.db
      .selectFrom('workspaceSubscriptions')
      .selectAll()
      .orderBy('workspaceId')
      .execute()
    const audits = await ctx.container.db.selectFrom('auditEvents').select('id').execute()

    const counts = await repair()

    expect(counts).toMatchObject({ eventsRecovered: 0, subscriptionsRepaired: 0, failed: 0 })
    expect(counts.subscriptionsChecked).toBe(links.length)
    expect(
      await ctx.container.db.selectFrom('workspaceSubscriptions').selectAll().orderBy('workspaceId').execute(),
    ).toEqual(links)
    expect(await ctx.container.db.selectFrom('auditEvents').select('id').execute()).toHaveLength(audits.length)
  })

  it('repairs once when two runs overlap', async () => {
    const { workspaceId, id } = await subscribed('overlap')
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro', 'past_due'))

    const [a, b] = await Promise.all([repair(), repair()])

    expect(a.subscriptionsRepaired + b.subscriptionsRepaired).toBe(1)
    expect(await driftAudits(workspaceId)).toHaveLength(1)
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({ status: 'past_due' })
    expect(await planOf(ctx, workspaceId)).toBe('pro')
  })

  it('runs as the scheduled job subscriptions.repair-drift', async () => {
    const job = jobOf(ctx, REPAIR)
    expect(job.cron).toBeTruthy()
    const { workspaceId } = await onboard(ctx.app, 'by-job')
    const id = ids()
    const sub = subscription(id.subscription, id.customer, workspaceId, 'price_pro')
    stripe.put(sub)
    const event = await stripe.emit('customer.subscription.created', sub, { deliver: false })

    await job.handler({})
    await processPending(ctx)

    expect(await stored(event.id)).toEqual([expect.objectContaining({ status: 'processed' })])
    expect(await planOf(ctx, workspaceId)).toBe('pro')
  })

  it('runs on demand for operators and answers the counts', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/operator/stripe/repair',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      payload: {},
    })

    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      eventsRecovered: 0,
      subscriptionsChecked: expect.any(Number),
      subscriptionsRepaired: 0,
      failed: 0,
    })
  })

  it('refuses the repair route without the internal token', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/operator/stripe/repair', payload: {} })
    expect(res.statusCode).toBe(401)
  })
})

describe('drift repair without Stripe configured', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('does nothing as a job', async () => {
    await expect(jobOf(ctx, REPAIR).handler({})).resolves.toBeUndefined()
    expect(await ctx.container.db.selectFrom('stripeEvents').select('id').execute()).toHaveLength(0)
  })

  it('answers 409 billing.not_configured on the operator route', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/operator/stripe/repair',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      payload: {},
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('billing.not_configured')
  })
})

describe('the event recovery window', () => {
  const now = 1_800_000_000

  it('looks back three days when no event is stored', () => {
    expect(recoveryWindowStart(now, undefined)).toBe(now - 3 * DAY)
  })

  it('looks back at least a day, so a failed delivery before later successful ones is still found', () => {
    expect(recoveryWindowStart(now, now - 60)).toBe(now - DAY)
  })

  it("starts an hour before the newest stored event when that is older, and never beyond Stripe's 30 days", () => {
    expect(recoveryWindowStart(now, now - 5 * DAY)).toBe(now - 5 * DAY - 3600)
    expect(recoveryWindowStart(now, now - 90 * DAY)).toBe(now - 30 * DAY)
  })
})
