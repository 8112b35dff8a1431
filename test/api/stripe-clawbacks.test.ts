import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FakeStripe } from '../fakes/stripe.ts'
import { call, driver, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'
import { jobOf, PROCESS_STRIPE_EVENT, processPending, startStripeContext, webhookInto } from './stripe-kit.ts'

/**
 * Refunds and chargebacks take back the unspent credits a charge bought (a top-up, or a subscription invoice's monthly
 * grant), in proportion to what was returned, never below zero available, once per charge whatever the redeliveries;
 * what was already spent is flagged for the operator. Paid through the fake Stripe's hosted Checkout, refunded and
 * disputed there, delivered signed to the webhook.
 */
const SECRET = 'whsec_test_clawbacks_0123456789'
const MICRO = 1_000_000n
let ctx: TestContext
let stripe: FakeStripe

beforeAll(async () => {
  ;({ stripe, ctx } = await startStripeContext(SECRET, {
    STRIPE_PRICE_STARTER: 'price_starter',
    STRIPE_PRICE_PRO: 'price_pro',
    STRIPE_PRICE_TOPUP: 'price_credit',
  }))
  stripe.deliverTo(webhookInto(ctx, SECRET))
  stripe.price('price_credit', 1) // 1 cent per credit
  stripe.price('price_pro', 7900)
})
afterAll(async () => {
  await ctx?.close()
  await stripe?.close()
})

const available = async (workspaceId: string) =>
  (await ctx.container.credits.ledger.balance(ctx.container.db, workspaceId)).available
const clawbacks = (workspaceId: string) =>
  ctx.container.db
    .selectFrom('creditEntries')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .where('kind', '=', 'adjustment')
    .where('requestId', 'like', 'clawback:%')
    .orderBy('seq')
    .execute()
const actions = async (workspaceId: string) =>
  (
    await ctx.container.db.selectFrom('auditEvents').select('action').where('workspaceId', '=', workspaceId).execute()
  ).map((a) => a.action)
const operatorEvents = async () =>
  (
    await call(ctx.app, 'GET', '/api/operator/stripe/events?limit=200', {
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
    })
  ).json().items as { id: string; type: string; workspaceId: string | null; unrecoveredCredits: number | null }[]
const pay = async (url: string) =>
  expect((await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' })).status).toBe(303)

/** A workspace that bought `credits` with a top-up through Checkout; the charge that paid it. */
const topUp = async (label: string, credits: number) => {
  const o = await onboard(ctx.app, label)
  const { url } = (
    await call(
      ctx.app,
      'POST',
      '/api/billing/topup',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { credits },
    )
  ).json() as { url: string }
  await pay(url)
  await processPending(ctx)
  return { ...o, charge: stripe.chargeFor(url.split('/').at(-1)!) }
}
/** Spends credits as a model call would: a hold settled through the ledger. */
const spend = async (workspaceId: string, micro: bigint) => {
  const { ledger } = ctx.container.credits
  const hold = await ledger.hold({
    workspaceId,
    clientId: null,
    userId: null,
    tokenId: null,
    surface: 'v1',
    modelId: 'openai:gpt-4o-mini',
    streaming: false,
    requestId: `spend-${workspaceId}-${micro}`,
    amount: micro,
    inputTokens: 1,
    paramsHash: '',
    ttlMs: 60_000,
  })
  await ledger.settle({ workspaceId, holdId: hold.hold.id, cost: micro, resolution: 'settled' })
}

describe('a refunded top-up', () => {
  it('takes its unspent credits back once, however often Stripe delivers the refund', async () => {
    const { workspaceId, charge } = await topUp('refunded', 250)
    const before = await available(workspaceId)
    const event = await stripe.refund(charge.id)
    await processPending(ctx)
    expect(before - (await available(workspaceId))).toBe(250n * MICRO)
    await stripe.deliver(event)
    await ctx.app.inject({
      method: 'POST',
      url: '/api/operator/stripe/events/replay',
      headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      payload: { eventId: event.id },
    })
    await processPending(ctx)
    expect(before - (await available(workspaceId))).toBe(250n * MICRO)
    expect(await clawbacks(workspaceId)).toEqual([
      expect.objectContaining({ amount: -250n * MICRO, requestId: `clawback:${charge.id}:${event.id}` }),
    ])
    expect(await actions(workspaceId)).toEqual(expect.arrayContaining(['credits.clawed_back']))
    expect(await actions(workspaceId)).not.toContain('subscription.clawback_short')
    expect((await operatorEvents()).find((e) => e.id === event.id)).toMatchObject({
      workspaceId,
      unrecoveredCredits: null,
    })
  })

  it('takes back in proportion to each partial refund, and no more than was bought in all', async () => {
    const { workspaceId, charge } = await topUp('partial', 200)
    const before = await available(workspaceId)
    await stripe.refund(charge.id, 50) // a quarter
    await processPending(ctx)
    expect(before - (await available(workspaceId))).toBe(50n * MICRO)
    await stripe.refund(charge.id) // the rest
    await processPending(ctx)
    expect(before - (await available(workspaceId))).toBe(200n * MICRO)
    expect((await clawbacks(workspaceId)).map((e) => e.amount)).toEqual([-50n * MICRO, -150n * MICRO])
  })

  it('never takes more than is available, and flags what was already spent for the operator and on the billing page', async () => {
    const { workspaceId, charge, user } = await topUp('spent', 250)
    await spend(workspaceId, (await available(workspaceId)) - 20n * MICRO) // 20 credits left
    const event = await stripe.refund(charge.id)
    await processPending(ctx)
    expect(await available(workspaceId)).toBe(0n)
    expect((await clawbacks(workspaceId)).map((e) => e.amount)).toEqual([-20n * MICRO])
    expect(await actions(workspaceId)).toEqual(
      expect.arrayContaining(['credits.clawed_back', 'subscription.clawback_short']),
    )
    expect((await operatorEvents()).find((e) => e.id === event.id)).toMatchObject({
      type: 'charge.refunded',
      workspaceId,
      unrecoveredCredits: Number(230n * MICRO),
    })
    expect((await call(ctx.app, 'GET', '/api/billing', { cookie: user.cookie, workspaceId })).json()).toMatchObject({
      unrecoveredCredits: Number(230n * MICRO),
    })
    const b = await ctx.container.db
      .selectFrom('creditAccounts')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirstOrThrow()
    expect(b.balance - b.held).toBe(0n)
  })
})

describe('clawbacks at the same time', () => {
  it.skipIf(driver !== 'postgres')(
    'take back no more than was bought when two refunds of one charge are processed at once (postgres)',
    async () => {
      const { workspaceId, charge } = await topUp('concurrent', 200)
      const before = await available(workspaceId)
      const first = await stripe.refund(charge.id, 50)
      const second = await stripe.refund(charge.id)
      const job = jobOf(ctx, PROCESS_STRIPE_EVENT)
      await Promise.all([job.handler({ eventId: first.id }), job.handler({ eventId: second.id })])
      expect(before - (await available(workspaceId))).toBe(200n * MICRO)
      expect((await clawbacks(workspaceId)).reduce((sum, e) => sum - e.amount, 0n)).toBe(200n * MICRO)
    },
  )
})

describe('a chargeback', () => {
  it('on a subscription invoice takes back the monthly credits it bought, and only those', async () => {
    const o = await onboard(ctx.app, 'chargeback')
    const welcome = await available(o.workspaceId)
    const { url } = (
      await call(
        ctx.app,
        'POST',
        '/api/billing/checkout',
        { cookie: o.user.cookie, workspaceId: o.workspaceId },
        { plan: 'pro' },
      )
    ).json() as { url: string }
    await pay(url)
    await processPending(ctx)
    const invoiceId = stripe.get(url.split('/').at(-1)!)!.invoice as string
    expect((await available(o.workspaceId)) - welcome).toBe(5000n * MICRO)

    const event = await stripe.dispute(stripe.chargeFor(invoiceId).id)
    await processPending(ctx)
    expect(await available(o.workspaceId)).toBe(welcome)
    expect(await clawbacks(o.workspaceId)).toEqual([
      expect.objectContaining({ amount: -5000n * MICRO, reason: expect.stringMatching(/Chargeback/) }),
    ])
    expect((await operatorEvents()).find((e) => e.id === event.id)).toMatchObject({
      type: 'charge.dispute.created',
      workspaceId: o.workspaceId,
      unrecoveredCredits: null,
    })
  })

  it('of part of a top-up takes back that part', async () => {
    const { workspaceId, charge } = await topUp('partial-chargeback', 100)
    const before = await available(workspaceId)
    await stripe.dispute(charge.id, 40)
    await processPending(ctx)
    expect(before - (await available(workspaceId))).toBe(40n * MICRO)
  })
})
