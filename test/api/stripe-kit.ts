import Stripe from 'stripe'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { startFakeStripe } from '../fakes/stripe.ts'
import { createTestContext, type TestContext } from '../harness.ts'

/** What the Stripe test files share: a context pointed at the loopback fake Stripe, signed deliveries, and the reads they assert on. */
const signer = new Stripe('sk_test_signer')

export const PROCESS_STRIPE_EVENT = 'subscriptions.process-stripe-event'

/** A Stripe-Signature header for `payload`, made by the SDK's own test helper. */
export const signStripe = (payload: string, secret: string, timestamp?: number) =>
  signer.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp === undefined ? {} : { timestamp }) })

/** POSTs `payload` to the webhook as Stripe would (no header when `signature` is undefined). */
export const deliverStripe = (ctx: TestContext, payload: string, signature?: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    payload,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(signature === undefined ? {} : { 'stripe-signature': signature }),
    },
  })

/** A fake Stripe and a context with billing on against it; `env` adds the price ids (and anything else) a suite needs. */
export const startStripeContext = async (secret: string, env: Record<string, string>) => {
  const stripe = await startFakeStripe()
  const ctx = await createTestContext({
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: secret,
    STRIPE_API_BASE: stripe.url,
    ...env,
  })
  return { stripe, ctx }
}

/** Makes the fake deliver its events to the app through `inject`, signed with `secret`. */
export const webhookInto = (ctx: TestContext, secret: string) => ({
  secret,
  send: async (payload: string, signature: string) => (await deliverStripe(ctx, payload, signature)).statusCode,
})

export const jobOf = (ctx: TestContext, name: string) =>
  ctx.container.jobs.find((j) => j.name === name) as JobDefinition

/** Runs the processing job of every stored event still pending, as the worker would. */
export const processPending = async (ctx: TestContext) => {
  const pending = await ctx.container.db
    .selectFrom('stripeEvents')
    .select('id')
    .where('status', '=', 'pending')
    .execute()
  for (const { id } of pending) await jobOf(ctx, PROCESS_STRIPE_EVENT).handler({ eventId: id })
}

export const planOf = async (ctx: TestContext, workspaceId: string) =>
  (
    await ctx.container.db
      .selectFrom('workspaces')
      .select('plan')
      .where('id', '=', workspaceId)
      .executeTakeFirstOrThrow()
  ).plan
export const subscriptionLink = (ctx: TestContext, workspaceId: string) =>
  ctx.container.db
    .selectFrom('workspaceSubscriptions')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .executeTakeFirst()
export const purchases = (ctx: TestContext, workspaceId: string) =>
  ctx.container.db
    .selectFrom('creditEntries')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .where('kind', '=', 'purchase')
    .execute()
