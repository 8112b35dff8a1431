import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { grantMonthlyCredits } from '../../src/modules/plans/plans.module.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'

/**
 * `plans.grant-monthly-credits` (daily): the monthly credits of the plans Stripe does not bill, once per workspace and
 * calendar month (UTC), under the operator assignment's request id `plan:<ws>:<plan>:<YYYY-MM>` — except Free, whose credits
 * are the owner's: `free:<owner>:<YYYY-MM>`, once per verified person and month. On the real catalog (config/plans.json):
 * Free grants 100 credits a month, Pro 5,000.
 */
const JOB = 'plans.grant-monthly-credits'
const MICRO = 1_000_000n
const month = (d = new Date()) => d.toISOString().slice(0, 7)
const nextMonth = () => {
  const d = new Date()
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1, 0, 20))
}

/** The plan grants of a workspace, as request id → amount in credits. */
const planGrants = async (ctx: TestContext, workspaceId: string) => {
  const rows = await ctx.container.db
    .selectFrom('creditEntries')
    .select(['requestId', 'amount'])
    .where('workspaceId', '=', workspaceId)
    .where('kind', '=', 'grant')
    .where((eb) => eb.or([eb('requestId', 'like', 'plan:%'), eb('requestId', 'like', 'free:%')]))
    .orderBy('requestId')
    .execute()
  return rows.map((r) => ({ requestId: r.requestId, credits: Number(BigInt(r.amount) / MICRO) }))
}
const runJob = (ctx: TestContext) => (ctx.container.jobs.find((j) => j.name === JOB) as JobDefinition).handler({})

describe('in self-hosted mode (no Stripe)', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({ PLANS_FILE: 'config/plans.json' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('is a daily scheduled job', () => {
    expect(ctx.container.jobs.find((j) => j.name === JOB)?.cron).toMatch(/^\d+ \d+ \* \* \*$/)
  })

  it("grants every workspace its plan's monthly credits once, however many times it runs", async () => {
    const [a, b] = [await onboard(ctx.app, 'monthly-a'), await onboard(ctx.app, 'monthly-b')]

    await runJob(ctx)
    await runJob(ctx)

    for (const o of [a, b])
      expect(await planGrants(ctx, o.workspaceId)).toEqual([
        { requestId: `free:${o.user.id}:${month()}`, credits: 100 },
      ])
  })

  it('grants again in the next calendar month, once', async () => {
    const o = await onboard(ctx.app, 'next-month')
    await runJob(ctx)
    const job = grantMonthlyCredits(ctx.container.plans.plans, nextMonth)

    await job.handler({})
    await job.handler({})

    expect(await planGrants(ctx, o.workspaceId)).toEqual([
      { requestId: `free:${o.user.id}:${month()}`, credits: 100 },
      { requestId: `free:${o.user.id}:${month(nextMonth())}`, credits: 100 },
    ])
  })

  it('gives nothing more to a workspace the operator assigned a plan this month', async () => {
    const o = await onboard(ctx.app, 'assigned')
    const res = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${o.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'pro', reason: 'Self-hosted upgrade' },
    )
    expect(res.statusCode, res.body).toBe(200)
    const before = await planGrants(ctx, o.workspaceId)

    await runJob(ctx)

    expect(before).toEqual([{ requestId: `plan:${o.workspaceId}:pro:${month()}`, credits: 5000 }])
    expect(await planGrants(ctx, o.workspaceId)).toEqual(before)
  })

  it('reaches every workspace when they span several pages', async () => {
    const owners = [
      await onboard(ctx.app, 'page-1'),
      await onboard(ctx.app, 'page-2'),
      await onboard(ctx.app, 'page-3'),
    ]
    const { count } = (await sql<{ count: string }>`SELECT count(*) AS count FROM workspaces`.execute(ctx.container.db))
      .rows[0]!
    const at = new Date(Date.UTC(2031, 2, 15))

    const result = await ctx.container.plans.plans.grantMonthlyCredits(at, 2)

    expect(result).toEqual({ month: '2031-03', granted: Number(count) })
    for (const o of owners)
      expect((await planGrants(ctx, o.workspaceId)).map((g) => g.requestId)).toContain(`free:${o.user.id}:2031-03`)
  })
})

describe('with Stripe configured', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({
      PLANS_FILE: 'config/plans.json',
      STRIPE_SECRET_KEY: 'sk_test_fake',
      STRIPE_WEBHOOK_SECRET: 'whsec_test_monthly_0123456789',
    })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('grants the Free plan its monthly credits but nothing to a paid plan (its credits come with each paid invoice)', async () => {
    const [free, paid] = [await onboard(ctx.app, 'stripe-free'), await onboard(ctx.app, 'stripe-paid')]
    // As the subscription handler would have set it: plans follow Stripe here, the operator route refuses.
    await ctx.container.db.updateTable('workspaces').set({ plan: 'pro' }).where('id', '=', paid.workspaceId).execute()

    await runJob(ctx)
    await runJob(ctx)

    expect(await planGrants(ctx, free.workspaceId)).toEqual([
      { requestId: `free:${free.user.id}:${month()}`, credits: 100 },
    ])
    expect(await planGrants(ctx, paid.workspaceId)).toEqual([])
  })
})
