import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Stripe from 'stripe'
import { sql } from 'kysely'
import { createStripeWebhooks } from '../../src/modules/subscriptions/stripe-webhooks.service.ts'
import { PROCESS_ATTEMPTS, type ProcessStripeEventJob } from '../../src/modules/subscriptions/subscriptions.jobs.ts'
import type { FakeStripe } from '../fakes/stripe.ts'
import { addMember, call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'
import {
  deliverStripe as deliver,
  jobOf,
  planOf,
  processPending,
  PROCESS_STRIPE_EVENT as PROCESS,
  purchases,
  signStripe,
  startStripeContext,
  subscriptionLink,
  webhookInto,
} from './stripe-kit.ts'

const SECRET = 'whsec_test_current_0123456789'
const ROTATED = 'whsec_test_next_9876543210'

let seq = 0
const stripeEvent = (
  type = 'customer.created',
  object: Record<string, unknown> = { id: 'cus_x', object: 'customer' },
) => ({
  id: `evt_test_${Date.now().toString(36)}_${++seq}`,
  object: 'event',
  type,
  api_version: '2025-01-01',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  data: { object },
})

const sign = (payload: string, secret = SECRET, timestamp?: number) => signStripe(payload, secret, timestamp)

const storedEvents = (ctx: TestContext) => ctx.container.db.selectFrom('stripeEvents').selectAll().execute()
const queuedFor = (ctx: TestContext, eventId: string) =>
  ctx.container.queue.boss.findJobs<{ eventId: string }>(PROCESS, { data: { eventId } })
const processJob = (ctx: TestContext) => jobOf(ctx, PROCESS)

describe('the Stripe webhook stores each verified event once and enqueues its processing', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({ STRIPE_WEBHOOK_SECRET: `${SECRET}, ${ROTATED}` })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('stores a validly signed event and enqueues one processing job', async () => {
    const payload = JSON.stringify(stripeEvent())
    const event = JSON.parse(payload) as { id: string }

    const res = await deliver(ctx, payload, sign(payload))

    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ received: true })
    const row = await ctx.container.db
      .selectFrom('stripeEvents')
      .selectAll()
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ type: 'customer.created', status: 'pending', attempts: 0 })
    expect(row.payload).toMatchObject({ id: event.id, data: { object: { id: 'cus_x' } } })
    const { rows } = await sql<{
      raw: string
    }>`SELECT payload::text AS raw FROM stripe_events WHERE id = ${event.id}`.execute(ctx.container.db)
    expect(JSON.parse(rows[0]!.raw)).toEqual(JSON.parse(payload))
    expect(await queuedFor(ctx, event.id)).toHaveLength(1)
  })

  it('stores and enqueues an event delivered twice concurrently only once', async () => {
    const payload = JSON.stringify(stripeEvent())
    const event = JSON.parse(payload) as { id: string }

    const [a, b] = await Promise.all([deliver(ctx, payload, sign(payload)), deliver(ctx, payload, sign(payload))])

    expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    expect((await storedEvents(ctx)).filter((r) => r.id === event.id)).toHaveLength(1)
    expect(await queuedFor(ctx, event.id)).toHaveLength(1)
  })

  it('accepts an event signed with the second (rotated) secret', async () => {
    const payload = JSON.stringify(stripeEvent())

    const res = await deliver(ctx, payload, sign(payload, ROTATED))

    expect(res.statusCode).toBe(200)
  })

  it.each([
    ['a wrong secret', (p: string) => ({ body: p, header: sign(p, 'whsec_wrong') as string | undefined })],
    [
      'a one-byte change to the body',
      (p: string) => ({
        body: p.replace('"livemode":false', '"livemode":falsE'),
        header: sign(p) as string | undefined,
      }),
    ],
    [
      'a timestamp older than 300 s',
      (p: string) => ({ body: p, header: sign(p, SECRET, Math.floor(Date.now() / 1000) - 301) as string | undefined }),
    ],
    ['no Stripe-Signature header', (p: string) => ({ body: p, header: undefined })],
    ['a garbled header', (p: string) => ({ body: p, header: 'nonsense' as string | undefined })],
  ])('refuses %s with 400 stripe.signature_invalid and stores nothing', async (_name, tamper) => {
    const before = await storedEvents(ctx)
    const { body, header } = tamper(JSON.stringify(stripeEvent()))

    const res = await deliver(ctx, body, header)

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('stripe.signature_invalid')
    expect(await storedEvents(ctx)).toHaveLength(before.length)
  })

  it('does not ask for a session or an origin: a browser cookie does not make it a CSRF case', async () => {
    const payload = JSON.stringify(stripeEvent())

    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/webhooks/stripe',
      payload,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': sign(payload),
        cookie: 'camarad_session=whatever',
      },
    })

    expect(res.statusCode).toBe(200)
  })

  it('marks an event dead after its last failed attempt, lists it for operators, and replays it', async () => {
    const payload = JSON.stringify(stripeEvent('test.unhandled'))
    const event = JSON.parse(payload) as { id: string }
    await deliver(ctx, payload, sign(payload))
    const { db, queue } = ctx.container
    const failing = createStripeWebhooks({
      db,
      queue,
      stripe: new Stripe('sk_test_unused'),
      secrets: [SECRET],
      job: () => processJob(ctx) as ProcessStripeEventJob,
      apply: async () => {
        throw new Error('Stripe is down')
      },
    })

    for (let attempt = 1; attempt < PROCESS_ATTEMPTS; attempt++)
      await expect(failing.process(event.id)).rejects.toThrow('Stripe is down')
    await failing.process(event.id)

    const list = await ctx.app.inject({
      method: 'GET',
      url: '/api/operator/stripe/events?status=dead',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
    })
    expect(list.statusCode).toBe(200)
    expect(list.json().items).toEqual([
      expect.objectContaining({
        id: event.id,
        status: 'dead',
        attempts: PROCESS_ATTEMPTS,
        lastError: 'Stripe is down',
      }),
    ])

    const replay = await ctx.app.inject({
      method: 'POST',
      url: '/api/operator/stripe/events/replay',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      payload: { eventId: event.id },
    })
    expect(replay.statusCode).toBe(202)
    expect(replay.json()).toMatchObject({ id: event.id, status: 'pending', attempts: 0, lastError: null })
    expect(await queuedFor(ctx, event.id)).toHaveLength(2)

    await processJob(ctx).handler({ eventId: event.id })
    const row = await ctx.container.db
      .selectFrom('stripeEvents')
      .selectAll()
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow()
    expect(row.status).toBe('ignored')
  })

  it('answers 404 when replaying an event that was never stored', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/operator/stripe/events/replay',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      payload: { eventId: 'evt_never' },
    })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('stripe.event_not_found')
  })

  it('refuses the operator routes without the internal token', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/operator/stripe/events' })
    expect(res.statusCode).toBe(401)
  })
})

describe('the Stripe webhook without a webhook secret', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('answers 409 billing.not_configured and stores nothing', async () => {
    const payload = JSON.stringify(stripeEvent())
    const res = await deliver(ctx, payload, sign(payload))
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('billing.not_configured')
    expect(await storedEvents(ctx)).toHaveLength(0)
  })
})

describe("Stripe events are applied from Stripe's current state, once", () => {
  let ctx: TestContext
  let stripe: FakeStripe
  beforeAll(async () => {
    ;({ stripe, ctx } = await startStripeContext(SECRET, {
      STRIPE_PRICE_STARTER: 'price_starter',
      STRIPE_PRICE_PRO: 'price_pro',
      STRIPE_PRICE_AGENCY: 'price_agency',
    }))
  })
  afterAll(async () => {
    await ctx?.close()
    await stripe?.close()
  })

  let n = 0
  const ids = () => {
    n++
    return { customer: `cus_t${n}`, subscription: `sub_t${n}`, session: `cs_t${n}`, invoice: `in_t${n}` }
  }
  const subscription = (id: string, customer: string, workspaceId: string, price: string, status = 'active') => ({
    id,
    object: 'subscription',
    customer,
    status,
    metadata: { workspace_id: workspaceId },
    items: {
      object: 'list',
      data: [
        {
          id: `si_${id}`,
          price: { id: price, object: 'price' },
          current_period_end: Math.floor(Date.now() / 1000) + 30 * 86400,
        },
      ],
    },
  })
  const checkoutSession = (id: string, customer: string, sub: string, workspaceId: string) => ({
    id,
    object: 'checkout.session',
    mode: 'subscription',
    client_reference_id: workspaceId,
    customer,
    subscription: sub,
    payment_status: 'paid',
    metadata: {},
  })
  const invoice = (id: string, customer: string, sub: string) => ({
    id,
    object: 'invoice',
    customer,
    status: 'paid',
    parent: { type: 'subscription_details', subscription_details: { subscription: sub } },
  })

  const send = async (event: { id: string }) => {
    const payload = JSON.stringify(event)
    const res = await deliver(ctx, payload, sign(payload))
    expect(res.statusCode).toBe(200)
  }
  const run = (eventId: string) => processJob(ctx).handler({ eventId })
  const deliverAndRun = async (event: { id: string }) => {
    await send(event)
    await run(event.id)
  }
  const eventRow = (id: string) =>
    ctx.container.db.selectFrom('stripeEvents').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const entries = (workspaceId: string, requestId: string) =>
    ctx.container.db
      .selectFrom('creditEntries')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .where('requestId', '=', requestId)
      .execute()

  it("links the customer and subscription on checkout.session.completed and sets the subscription's plan", async () => {
    const { workspaceId } = await onboard(ctx.app, 'subscriber')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro'))
    stripe.put(checkoutSession(id.session, id.customer, id.subscription, workspaceId))

    const event = stripeEvent('checkout.session.completed', { id: id.session, object: 'checkout.session' })
    await deliverAndRun(event)

    expect(await planOf(ctx, workspaceId)).toBe('pro')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({
      stripeCustomerId: id.customer,
      stripeSubscriptionId: id.subscription,
      status: 'active',
      plan: 'pro',
    })
    expect((await eventRow(event.id)).status).toBe('processed')
  })

  it("grants an invoice's monthly credits once when the same event is delivered and processed twice concurrently", async () => {
    const { workspaceId } = await onboard(ctx.app, 'payer')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_starter'))
    stripe.put(invoice(id.invoice, id.customer, id.subscription))
    const event = stripeEvent('invoice.paid', { id: id.invoice, object: 'invoice' })

    await Promise.all([send(event), send(event)])
    await Promise.all([run(event.id), run(event.id)])

    const grants = await entries(workspaceId, `invoice:${id.invoice}`)
    expect(grants).toHaveLength(1)
    expect(grants[0]).toMatchObject({ kind: 'purchase', amount: 1500n * 1_000_000n })
    expect(await planOf(ctx, workspaceId)).toBe('starter')
  })

  it("ends on the subscription's current state when updated arrives before created", async () => {
    const { workspaceId } = await onboard(ctx.app, 'reorder')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro'))
    const updated = stripeEvent(
      'customer.subscription.updated',
      subscription(id.subscription, id.customer, workspaceId, 'price_pro'),
    )
    const created = stripeEvent(
      'customer.subscription.created',
      subscription(id.subscription, id.customer, workspaceId, 'price_starter', 'incomplete'),
    )

    await deliverAndRun(updated)
    await deliverAndRun(created)

    expect(await planOf(ctx, workspaceId)).toBe('pro')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({
      stripeSubscriptionId: id.subscription,
      status: 'active',
      plan: 'pro',
    })
  })

  it('keeps the plan while past_due and returns to Free when the subscription is canceled', async () => {
    const { workspaceId } = await onboard(ctx.app, 'lapsed')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro'))
    await deliverAndRun(stripeEvent('customer.subscription.created', { id: id.subscription, object: 'subscription' }))

    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro', 'past_due'))
    stripe.put({
      id: id.invoice,
      object: 'invoice',
      customer: id.customer,
      status: 'open',
      parent: { subscription_details: { subscription: id.subscription } },
    })
    await deliverAndRun(stripeEvent('invoice.payment_failed', { id: id.invoice, object: 'invoice' }))
    expect(await planOf(ctx, workspaceId)).toBe('pro')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({ status: 'past_due' })
    const audited = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('workspaceId', '=', workspaceId)
      .execute()
    expect(audited.map((a) => a.action)).toContain('subscription.payment_failed')

    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro', 'canceled'))
    await deliverAndRun(stripeEvent('customer.subscription.deleted', { id: id.subscription, object: 'subscription' }))
    expect(await planOf(ctx, workspaceId)).toBe('free')
  })

  it('grants once when invoice.paid arrives before checkout.session.completed', async () => {
    const { workspaceId } = await onboard(ctx.app, 'early-invoice')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_pro'))
    stripe.put(invoice(id.invoice, id.customer, id.subscription))
    stripe.put(checkoutSession(id.session, id.customer, id.subscription, workspaceId))

    await deliverAndRun(stripeEvent('invoice.paid', { id: id.invoice, object: 'invoice' }))
    await deliverAndRun(stripeEvent('checkout.session.completed', { id: id.session, object: 'checkout.session' }))

    expect(await entries(workspaceId, `invoice:${id.invoice}`)).toHaveLength(1)
    expect(await planOf(ctx, workspaceId)).toBe('pro')
    expect(await subscriptionLink(ctx, workspaceId)).toMatchObject({ stripeCustomerId: id.customer })
  })

  it('grants nothing more when Stripe redelivers an event we committed but did not answer (a crash before the 2xx)', async () => {
    const { workspaceId } = await onboard(ctx.app, 'crash')
    const id = ids()
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_starter'))
    stripe.put(invoice(id.invoice, id.customer, id.subscription))
    const event = stripeEvent('invoice.paid', { id: id.invoice, object: 'invoice' })
    await deliverAndRun(event)

    await send(event)
    await run(event.id)

    expect(await entries(workspaceId, `invoice:${id.invoice}`)).toHaveLength(1)
    expect(await queuedFor(ctx, event.id)).toHaveLength(1)
  })

  it("grants a paid top-up's credits once", async () => {
    const { workspaceId } = await onboard(ctx.app, 'topup')
    const id = ids()
    stripe.put({
      id: id.session,
      object: 'checkout.session',
      mode: 'payment',
      client_reference_id: workspaceId,
      customer: id.customer,
      payment_status: 'paid',
      metadata: { kind: 'topup', credits: '250', workspace_id: workspaceId },
    })
    const event = stripeEvent('checkout.session.completed', { id: id.session, object: 'checkout.session' })

    await deliverAndRun(event)
    await ctx.app.inject({
      method: 'POST',
      url: '/api/operator/stripe/events/replay',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      payload: { eventId: event.id },
    })
    await run(event.id)

    const grants = await entries(workspaceId, `topup:${id.session}`)
    expect(grants).toHaveLength(1)
    expect(grants[0]).toMatchObject({ kind: 'purchase', amount: 250n * 1_000_000n })
    expect(await planOf(ctx, workspaceId)).toBe('free')
  })

  it('audits a refund and takes back the unspent credits the refunded invoice bought', async () => {
    const { workspaceId } = await onboard(ctx.app, 'refund')
    const id = ids()
    stripe.price('price_starter', 1900)
    stripe.put(subscription(id.subscription, id.customer, workspaceId, 'price_starter'))
    const paid = stripe.invoice(id.subscription)
    await deliverAndRun(stripeEvent('invoice.paid', { id: paid.id, object: 'invoice' }))

    await deliverAndRun(await stripe.refund(stripe.chargeFor(paid.id).id, undefined, { deliver: false }))

    const audited = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('workspaceId', '=', workspaceId)
      .execute()
    expect(audited.map((a) => a.action)).toEqual(
      expect.arrayContaining(['subscription.charge_refunded', 'credits.clawed_back']),
    )
    expect(await entries(workspaceId, `invoice:${paid.id}`)).toHaveLength(1)
    const adjustments = await ctx.container.db
      .selectFrom('creditEntries')
      .select(['kind', 'amount'])
      .where('workspaceId', '=', workspaceId)
      .where('kind', 'in', ['adjustment', 'refund'])
      .execute()
    expect(adjustments).toEqual([{ kind: 'adjustment', amount: -1500n * 1_000_000n }])
  })

  it('marks an event type it does not handle as ignored', async () => {
    const event = stripeEvent('customer.created', { id: 'cus_other', object: 'customer' })
    await deliverAndRun(event)
    expect((await eventRow(event.id)).status).toBe('ignored')
  })
})

describe('Checkout, top-ups and the portal for workspace admins', () => {
  let ctx: TestContext
  let stripe: FakeStripe
  beforeAll(async () => {
    ;({ stripe, ctx } = await startStripeContext(SECRET, {
      STRIPE_PRICE_STARTER: 'price_starter',
      STRIPE_PRICE_PRO: 'price_pro',
      STRIPE_PRICE_TOPUP: 'price_credit',
    }))
  })
  afterAll(async () => {
    await ctx?.close()
    await stripe?.close()
  })

  const posts = (path: string) => stripe.requests.filter((r) => r.method === 'POST' && r.path === path)

  it("opens a subscription Checkout with the plan's price, creating the customer once per workspace", async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'buyer')
    const customersBefore = posts('/v1/customers').length

    const first = await call(
      ctx.app,
      'POST',
      '/api/billing/checkout',
      { cookie: user.cookie, workspaceId },
      { plan: 'pro' },
    )
    const second = await call(
      ctx.app,
      'POST',
      '/api/billing/checkout',
      { cookie: user.cookie, workspaceId },
      { plan: 'starter' },
    )

    expect(first.statusCode).toBe(200)
    expect(first.json().url).toMatch(new RegExp(`^${stripe.url}/checkout/cs_`))
    expect(second.statusCode).toBe(200)
    expect(posts('/v1/customers').length - customersBefore).toBe(1)
    const sessions = posts('/v1/checkout/sessions').slice(-2)
    expect(sessions[0]!.form).toMatchObject({
      mode: 'subscription',
      client_reference_id: workspaceId,
      'line_items[0][price]': 'price_pro',
      'subscription_data[metadata][workspace_id]': workspaceId,
    })
    expect(sessions[1]!.form).toMatchObject({ 'line_items[0][price]': 'price_starter' })
    expect(sessions[0]!.form.customer).toBe(sessions[1]!.form.customer)
  })

  it('sends an idempotency key derived from our request id, so a retried request opens no second session', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'retry')
    const as = { cookie: user.cookie, workspaceId, headers: { 'x-request-id': `retry-${workspaceId}` } }

    const a = await call(ctx.app, 'POST', '/api/billing/checkout', as, { plan: 'pro' })
    const b = await call(ctx.app, 'POST', '/api/billing/checkout', as, { plan: 'pro' })

    expect(a.json().url).toBe(b.json().url)
    const keys = posts('/v1/checkout/sessions')
      .slice(-2)
      .map((r) => r.idempotencyKey)
    expect(keys).toEqual([
      `checkout:${workspaceId}:retry-${workspaceId}`,
      `checkout:${workspaceId}:retry-${workspaceId}`,
    ])
    expect(posts('/v1/customers').at(-1)!.idempotencyKey).toBe(`customer:${workspaceId}`)
  })

  it('opens a top-up Checkout in payment mode for the credits asked', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'topper')

    const res = await call(
      ctx.app,
      'POST',
      '/api/billing/topup',
      { cookie: user.cookie, workspaceId },
      { credits: 500 },
    )

    expect(res.statusCode).toBe(200)
    expect(posts('/v1/checkout/sessions').at(-1)!.form).toMatchObject({
      mode: 'payment',
      client_reference_id: workspaceId,
      'line_items[0][price]': 'price_credit',
      'line_items[0][quantity]': '500',
      'metadata[kind]': 'topup',
      'metadata[credits]': '500',
    })
  })

  it('opens the portal for a workspace with a customer, and answers 409 before there is one', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'portal')
    const before = await call(ctx.app, 'POST', '/api/billing/portal', { cookie: user.cookie, workspaceId }, {})
    expect(before.statusCode).toBe(409)
    expect(before.json().error.code).toBe('billing.no_customer')

    await call(ctx.app, 'POST', '/api/billing/checkout', { cookie: user.cookie, workspaceId }, { plan: 'pro' })
    const res = await call(ctx.app, 'POST', '/api/billing/portal', { cookie: user.cookie, workspaceId }, {})

    expect(res.statusCode).toBe(200)
    expect(res.json().url).toMatch(new RegExp(`^${stripe.url}/portal/bps_`))
    expect(posts('/v1/billing_portal/sessions').at(-1)!.idempotencyKey).toMatch(new RegExp(`^portal:${workspaceId}:`))
  })

  describe('through the hosted pages, as a browser goes', () => {
    const balance = async (user: { cookie: string }, workspaceId: string) =>
      (await call(ctx.app, 'GET', '/api/credits/balance', { cookie: user.cookie, workspaceId })).json()
        .balance as number
    const press = async (url: string) => {
      const res = await fetch(url, { method: 'POST', redirect: 'manual' })
      expect(res.status).toBe(303)
      return res.headers.get('location')
    }
    beforeAll(() => {
      stripe.deliverTo(webhookInto(ctx, SECRET))
      stripe.price('price_pro', 7900)
    })
    afterAll(() => stripe.deliverTo(undefined))

    it('pays a plan on Checkout and comes back upgraded with its monthly credits, once whatever the redeliveries; the invoice is listed', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'roundtrip')
      const as = { cookie: user.cookie, workspaceId }
      const before = await balance(user, workspaceId)
      const empty = await call(ctx.app, 'GET', '/api/billing', as)
      expect(empty.json()).toEqual({
        billingEnabled: true,
        topupEnabled: true,
        hasCustomer: false,
        subscription: null,
        unrecoveredCredits: 0,
      })
      const noInvoices = await call(ctx.app, 'GET', '/api/billing/invoices', as)
      expect(noInvoices.json()).toEqual({ items: [], nextCursor: null })

      const { url } = (await call(ctx.app, 'POST', '/api/billing/checkout', as, { plan: 'pro' })).json() as {
        url: string
      }
      const sessionId = url.split('/').at(-1)!
      const status = async () => (await call(ctx.app, 'GET', `/api/billing/checkouts/${sessionId}`, as)).json()
      expect(await status()).toMatchObject({
        id: sessionId,
        mode: 'subscription',
        plan: 'pro',
        credits: 5000,
        status: 'open',
      })
      expect(await press(`${url}/pay`)).toBe(
        `${ctx.container.config.publicUrl}/app/settings/billing?checkout=success&session_id=${sessionId}`,
      )
      expect((await status()).status).toBe('confirming') // paid at Stripe, events not processed yet
      await processPending(ctx)
      expect((await status()).status).toBe('applied')

      expect(await planOf(ctx, workspaceId)).toBe('pro')
      expect((await balance(user, workspaceId)) - before).toBe(5000 * 1_000_000)
      const account = (await call(ctx.app, 'GET', '/api/billing', as)).json()
      expect(account).toMatchObject({ hasCustomer: true, subscription: { status: 'active', plan: 'pro' } })
      expect(Date.parse(account.subscription.currentPeriodEnd)).toBeGreaterThan(Date.now())
      const invoices = (await call(ctx.app, 'GET', '/api/billing/invoices', as)).json()
      expect(invoices.items).toHaveLength(1)
      expect(invoices.items[0]).toMatchObject({ status: 'paid', amountPaidCents: 7900, currency: 'eur' })
      expect(invoices.items[0].hostedInvoiceUrl).toMatch(/^http/)

      // Stripe redelivers every event of this purchase (a 2xx lost on the way back): nothing more is granted.
      const customer = (await subscriptionLink(ctx, workspaceId))!.stripeCustomerId
      const ours = stripe.events.filter((e) => e.data.object.customer === customer)
      expect(ours.map((e) => e.type)).toEqual([
        'checkout.session.completed',
        'customer.subscription.created',
        'invoice.paid',
      ])
      for (const event of ours) await stripe.deliver(event)
      await processPending(ctx)
      expect(await purchases(ctx, workspaceId)).toHaveLength(1)
      expect((await balance(user, workspaceId)) - before).toBe(5000 * 1_000_000)

      // Subscribed: another plan goes through the portal, never a second subscription; the session is ours only.
      const again = await call(ctx.app, 'POST', '/api/billing/checkout', as, { plan: 'starter' })
      expect(again.statusCode).toBe(409)
      expect(again.json().error.code).toBe('billing.already_subscribed')
      const other = await onboard(ctx.app, 'nosy')
      const nosy = await call(ctx.app, 'GET', `/api/billing/checkouts/${sessionId}`, {
        cookie: other.user.cookie,
        workspaceId: other.workspaceId,
      })
      expect(nosy.statusCode).toBe(404)
      const unknown = await call(ctx.app, 'GET', '/api/billing/checkouts/cs_nope', as)
      expect(unknown.statusCode).toBe(404)
      expect(unknown.json().error.code).toBe('billing.checkout_not_found')
    })

    it('buys a top-up on Checkout: the credits asked, granted once', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'topup-roundtrip')
      const as = { cookie: user.cookie, workspaceId }
      const before = await balance(user, workspaceId)

      const { url } = (await call(ctx.app, 'POST', '/api/billing/topup', as, { credits: 250 })).json() as {
        url: string
      }
      const sessionId = url.split('/').at(-1)!
      expect(await press(`${url}/pay`)).toMatch(new RegExp(`\\?topup=success&session_id=${sessionId}$`))
      expect(await press(`${url}/pay`)).toMatch(/\?topup=success/) // pressed twice: the session is already complete
      await processPending(ctx)
      expect((await call(ctx.app, 'GET', `/api/billing/checkouts/${sessionId}`, as)).json()).toMatchObject({
        mode: 'payment',
        credits: 250,
        status: 'applied',
      })

      expect((await balance(user, workspaceId)) - before).toBe(250 * 1_000_000)
      expect(await planOf(ctx, workspaceId)).toBe('free')
      expect((await purchases(ctx, workspaceId)).map((e) => e.requestId)).toEqual([expect.stringMatching(/^topup:cs_/)])
    })

    it('cancels in the customer portal: back to Free, the credits already granted stay', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'portal-cancel')
      const as = { cookie: user.cookie, workspaceId }
      const { url } = (await call(ctx.app, 'POST', '/api/billing/checkout', as, { plan: 'pro' })).json() as {
        url: string
      }
      await press(`${url}/pay`)
      await processPending(ctx)
      const paid = await balance(user, workspaceId)

      const portal = (await call(ctx.app, 'POST', '/api/billing/portal', as, {})).json() as { url: string }
      expect(await press(`${portal.url}/cancel`)).toBe(
        `${ctx.container.config.publicUrl}/app/settings/billing?portal=return`,
      )
      await processPending(ctx)

      expect(await planOf(ctx, workspaceId)).toBe('free')
      expect((await call(ctx.app, 'GET', '/api/billing', as)).json().subscription).toMatchObject({ status: 'canceled' })
      expect(await balance(user, workspaceId)).toBe(paid)
    })

    it("pages invoices with Stripe's cursor and shows them to admins only", async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'invoices')
      const as = { cookie: user.cookie, workspaceId }
      const { url } = (await call(ctx.app, 'POST', '/api/billing/checkout', as, { plan: 'pro' })).json() as {
        url: string
      }
      await press(`${url}/pay`)
      await processPending(ctx)
      const subscriptionId = (await subscriptionLink(ctx, workspaceId))!.stripeSubscriptionId!
      stripe.invoice(subscriptionId)
      stripe.invoice(subscriptionId)

      const first = (await call(ctx.app, 'GET', '/api/billing/invoices?limit=2', as)).json()
      const second = (await call(ctx.app, 'GET', `/api/billing/invoices?limit=2&cursor=${first.nextCursor}`, as)).json()

      expect(first.items).toHaveLength(2)
      expect(second).toMatchObject({ nextCursor: null })
      expect(second.items).toHaveLength(1)
      expect(new Set([...first.items, ...second.items].map((i: { id: string }) => i.id)).size).toBe(3)
      const member = await addMember(ctx.app, user, workspaceId, 'member')
      expect(
        (await call(ctx.app, 'GET', '/api/billing/invoices', { cookie: member.cookie, workspaceId })).statusCode,
      ).toBe(403)
      expect(
        (await call(ctx.app, 'GET', '/api/billing', { cookie: member.cookie, workspaceId })).json().subscription,
      ).toMatchObject({ plan: 'pro' })
    })
  })

  it('refuses the free plan and a plan without a Stripe price with 400', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'freebie')
    for (const plan of ['free', 'agency', 'nope']) {
      const res = await call(ctx.app, 'POST', '/api/billing/checkout', { cookie: user.cookie, workspaceId }, { plan })
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('billing.plan_not_purchasable')
    }
  })

  it('lets only admins open Checkout', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'owner-of-members')
    const member = await addMember(ctx.app, user, workspaceId, 'member')

    const res = await call(
      ctx.app,
      'POST',
      '/api/billing/checkout',
      { cookie: member.cookie, workspaceId },
      { plan: 'pro' },
    )

    expect(res.statusCode).toBe(403)
  })
})

describe('Checkout without Stripe configured', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it.each([
    ['/api/billing/checkout', { plan: 'pro' }],
    ['/api/billing/topup', { credits: 10 }],
    ['/api/billing/portal', {}],
  ])('answers 409 billing.not_configured on %s', async (url, body) => {
    const { user, workspaceId } = await onboard(ctx.app, 'selfhosted')
    const res = await call(ctx.app, 'POST', url, { cookie: user.cookie, workspaceId }, body)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('billing.not_configured')
  })
})
