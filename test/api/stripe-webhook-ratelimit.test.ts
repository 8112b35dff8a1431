import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Stripe from 'stripe'
import { createTestContext, type TestContext } from '../harness.ts'

/**
 * Stripe delivers (and retries) bursts of events from a few shared addresses: the webhook is exempt from the global
 * per-IP rate limit, while every other route keeps it.
 */
const SECRET = 'whsec_test_ratelimit_0123456789'
const LIMIT = 3
const signer = new Stripe('sk_test_signer')
const ip = '203.0.113.77'

let seq = 0
const stripeEvent = () => ({
  id: `evt_rl_${Date.now().toString(36)}_${++seq}`,
  object: 'event',
  type: 'customer.created',
  api_version: '2025-01-01',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  data: { object: { id: 'cus_rl', object: 'customer' } },
})

const deliver = (ctx: TestContext) => {
  const payload = JSON.stringify(stripeEvent())
  return ctx.app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    payload,
    remoteAddress: ip,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    },
  })
}

describe('the Stripe webhook and the global rate limit', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      STRIPE_SECRET_KEY: 'sk_test_fake',
      STRIPE_WEBHOOK_SECRET: SECRET,
    })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('answers every delivery from one address even past the per-minute limit, and stores each event', async () => {
    const statuses: number[] = []
    for (let i = 0; i < LIMIT * 3; i++) statuses.push((await deliver(ctx)).statusCode)

    expect(statuses).toEqual(Array(LIMIT * 3).fill(200))
    expect(await ctx.container.db.selectFrom('stripeEvents').select('id').execute()).toHaveLength(LIMIT * 3)
  })

  it('still limits another public route from the same address with 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push((await ctx.app.inject({ method: 'GET', url: '/api/plans', remoteAddress: ip })).statusCode)

    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429])
  })
})
