import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Stripe from 'stripe'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { createStripeWebhooks } from '../../src/modules/subscriptions/stripe-webhooks.service.ts'
import { PROCESS_ATTEMPTS, type ProcessStripeEventJob } from '../../src/modules/subscriptions/subscriptions.jobs.ts'
import { createTestContext, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'

const SECRET = 'whsec_test_current_0123456789'
const ROTATED = 'whsec_test_next_9876543210'
const PROCESS = 'subscriptions.process-stripe-event'
const signer = new Stripe('sk_test_signer')

let seq = 0
const stripeEvent = (type = 'customer.created', object: Record<string, unknown> = { id: 'cus_x', object: 'customer' }) => ({
  id: `evt_test_${Date.now().toString(36)}_${++seq}`, object: 'event', type, api_version: '2025-01-01', created: Math.floor(Date.now() / 1000),
  livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object },
})

const sign = (payload: string, secret = SECRET, timestamp?: number) =>
  signer.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp === undefined ? {} : { timestamp }) })

const deliver = (ctx: TestContext, payload: string, signature?: string) => ctx.app.inject({
  method: 'POST', url: '/api/webhooks/stripe', payload,
  headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === undefined ? {} : { 'stripe-signature': signature }) },
})

const storedEvents = (ctx: TestContext) => ctx.container.db.selectFrom('stripeEvents').selectAll().execute()
const queuedFor = (ctx: TestContext, eventId: string) => ctx.container.queue.boss.findJobs<{ eventId: string }>(PROCESS, { data: { eventId } })
const processJob = (ctx: TestContext) => ctx.container.jobs.find((j) => j.name === PROCESS) as JobDefinition

describe('the Stripe webhook stores each verified event once and enqueues its processing', () => {
  let ctx: TestContext
  beforeAll(async () => { ctx = await createTestContext({ STRIPE_WEBHOOK_SECRET: `${SECRET}, ${ROTATED}` }) })
  afterAll(async () => { await ctx?.close() })

  it('stores a validly signed event and enqueues one processing job', async () => {
    const payload = JSON.stringify(stripeEvent())
    const event = JSON.parse(payload) as { id: string }

    const res = await deliver(ctx, payload, sign(payload))

    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ received: true })
    const row = await ctx.container.db.selectFrom('stripeEvents').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ type: 'customer.created', status: 'pending', attempts: 0 })
    expect(row.payload).toMatchObject({ id: event.id, data: { object: { id: 'cus_x' } } })
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
    ['a one-byte change to the body', (p: string) => ({ body: p.replace('"livemode":false', '"livemode":falsE'), header: sign(p) as string | undefined })],
    ['a timestamp older than 300 s', (p: string) => ({ body: p, header: sign(p, SECRET, Math.floor(Date.now() / 1000) - 301) as string | undefined })],
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

    const res = await ctx.app.inject({ method: 'POST', url: '/api/webhooks/stripe', payload, headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload), cookie: 'camarad_session=whatever' } })

    expect(res.statusCode).toBe(200)
  })

  it('marks an event dead after its last failed attempt, lists it for operators, and replays it', async () => {
    const payload = JSON.stringify(stripeEvent('test.unhandled'))
    const event = JSON.parse(payload) as { id: string }
    await deliver(ctx, payload, sign(payload))
    const { db, queue } = ctx.container
    const failing = createStripeWebhooks({
      db, queue, stripe: signer, secrets: [SECRET], job: () => processJob(ctx) as ProcessStripeEventJob,
      apply: async () => { throw new Error('Stripe is down') },
    })

    for (let attempt = 1; attempt < PROCESS_ATTEMPTS; attempt++) await expect(failing.process(event.id)).rejects.toThrow('Stripe is down')
    await failing.process(event.id)

    const list = await ctx.app.inject({ method: 'GET', url: '/api/operator/stripe/events?status=dead', headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } })
    expect(list.statusCode).toBe(200)
    expect(list.json().items).toEqual([expect.objectContaining({ id: event.id, status: 'dead', attempts: PROCESS_ATTEMPTS, lastError: 'Stripe is down' })])

    const replay = await ctx.app.inject({ method: 'POST', url: '/api/operator/stripe/events/replay', headers: { 'x-internal-token': TEST_INTERNAL_TOKEN }, payload: { eventId: event.id } })
    expect(replay.statusCode).toBe(202)
    expect(replay.json()).toMatchObject({ id: event.id, status: 'pending', attempts: 0, lastError: null })
    expect(await queuedFor(ctx, event.id)).toHaveLength(2)

    await processJob(ctx).handler({ eventId: event.id })
    const row = await ctx.container.db.selectFrom('stripeEvents').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow()
    expect(row.status).toBe('ignored')
  })

  it('answers 404 when replaying an event that was never stored', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/operator/stripe/events/replay', headers: { 'x-internal-token': TEST_INTERNAL_TOKEN }, payload: { eventId: 'evt_never' } })
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
  beforeAll(async () => { ctx = await createTestContext() })
  afterAll(async () => { await ctx?.close() })

  it('answers 409 billing.not_configured and stores nothing', async () => {
    const payload = JSON.stringify(stripeEvent())
    const res = await deliver(ctx, payload, sign(payload))
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('billing.not_configured')
    expect(await storedEvents(ctx)).toHaveLength(0)
  })
})
