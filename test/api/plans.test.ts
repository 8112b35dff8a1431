import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlanDto } from '../../contracts/plans.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import {
  call,
  createTestContext,
  driver,
  onboard,
  TEST_INTERNAL_TOKEN,
  uniqueEmail,
  type TestContext,
} from '../harness.ts'
import { parseSse } from '../sse.ts'

/**
 * Plans as an agency meets them, on the real catalog (config/plans.json): the public catalog, usage against each
 * limit, a 402 with the way up on every create route a plan limits (and nothing written), the operator's upgrade in
 * self-hosted mode (limits lifted, monthly credits granted once), Stripe-managed servers refusing local plan
 * changes, and model tiers following the plan.
 */
const catalog = JSON.parse(readFileSync('config/plans.json', 'utf8')) as { plans: PlanDto[] }
const planOf = (id: string) => catalog.plans.find((p) => p.id === id)!
const free = planOf('free')
const pro = planOf('pro')
const MICRO = 1_000_000
const month = () => new Date().toISOString().slice(0, 7)

type Owner = Awaited<ReturnType<typeof onboard>>
let ctx: TestContext
let fake: FakeOpenAI

const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const as = (o: Owner) => ({ cookie: o.user.cookie, workspaceId: o.workspaceId })
const setPlan = (workspaceId: string, plan: string, reason = 'Self-hosted upgrade') =>
  call(ctx.app, 'PUT', `/api/operator/workspaces/${workspaceId}/plan`, op, { plan, reason })
const createClient = (o: Owner, name = 'Another client') => call(ctx.app, 'POST', '/api/clients', as(o), { name })
const invite = (o: Owner, email = uniqueEmail('invitee')) =>
  call(
    ctx.app,
    'POST',
    `/api/workspaces/${o.workspaceId}/invitations`,
    { cookie: o.user.cookie },
    { email, role: 'member' },
  )
const createAgent = (o: Owner, name = 'House voice') =>
  call(ctx.app, 'POST', '/api/agents', as(o), { name, instructions: 'Be brief.' })
const count = async (table: 'clients' | 'invitations' | 'agents' | 'auditEvents', workspaceId: string) =>
  (await ctx.container.db.selectFrom(table).select('id').where('workspaceId', '=', workspaceId).execute()).length

const expectLimit = (res: Awaited<ReturnType<typeof call>>, limit: string, max: number, plan = 'free') => {
  expect(res.statusCode, res.body).toBe(402)
  expect(res.json().error).toMatchObject({
    code: 'plan.limit_reached',
    details: { limit, max, used: max, plan, upgradeUrl: '/app/settings/billing' },
  })
  expect(res.json().error.message).toMatch(/Upgrade/)
}

beforeAll(async () => {
  fake = await startFakeOpenAI({
    text: 'Segment by intent, then by margin.',
    chunks: 3,
    usage: { prompt_tokens: 300, completion_tokens: 8 },
  })
  ctx = await createTestContext({
    PLANS_FILE: 'config/plans.json',
    OPENAI_API_KEY: 'sk-test-key',
    OPENAI_BASE_URL: fake.url,
  })
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

describe('the catalog', () => {
  it('is served to anyone, without Stripe price ids, and says billing is off in self-hosted mode', async () => {
    const res = await call(ctx.app, 'GET', '/api/plans', { origin: null })
    expect(res.statusCode).toBe(200)
    expect(res.json().billingEnabled).toBe(false)
    expect(res.json().plans.map((p: PlanDto) => p.id)).toEqual(['free', 'starter', 'pro', 'agency'])
    expect(res.json().plans[0]).toEqual(free)
    expect(res.body).not.toMatch(/stripe/i)
  })

  it("shows a workspace's plan and its usage against each limit", async () => {
    const o = await onboard(ctx.app, 'usage')
    await invite(o)
    const res = await call(ctx.app, 'GET', `/api/workspaces/${o.workspaceId}/plan`, { cookie: o.user.cookie })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      workspaceId: o.workspaceId,
      plan: { id: 'free' },
      billingEnabled: false,
      upgradeUrl: '/app/settings/billing',
    })
    expect(res.json().usage).toEqual([
      { key: 'clients', used: 1, limit: free.limits.clients },
      { key: 'members', used: 2, limit: free.limits.members },
      { key: 'customAgents', used: 0, limit: free.limits.customAgents },
      { key: 'flows', used: 0, limit: free.limits.flows },
      { key: 'channelNumbers', used: 0, limit: free.limits.channelNumbers },
      { key: 'connectors', used: 0, limit: free.limits.connectors },
      { key: 'messagesPerMonth', used: 0, limit: free.limits.messagesPerMonth },
    ])
  })
})

describe('a limit reached', () => {
  it('refuses another client with 402 plan.limit_reached and writes nothing', async () => {
    const o = await onboard(ctx.app, 'clients')
    for (let i = 1; i < free.limits.clients!; i++) expect((await createClient(o, `Client ${i}`)).statusCode).toBe(201)
    const [clients, audit] = [await count('clients', o.workspaceId), await count('auditEvents', o.workspaceId)]
    expectLimit(await createClient(o), 'clients', free.limits.clients!)
    expect(await count('clients', o.workspaceId)).toBe(clients)
    expect(await count('auditEvents', o.workspaceId)).toBe(audit)
  })

  it('frees a slot when a client is archived', async () => {
    const o = await onboard(ctx.app, 'archive')
    for (let i = 1; i < free.limits.clients!; i++) await createClient(o, `Client ${i}`)
    expect(
      (await call(ctx.app, 'POST', `/api/clients/${o.clientId}/archive`, { cookie: o.user.cookie })).statusCode,
    ).toBe(200)
    expect((await createClient(o)).statusCode).toBe(201)
  })

  it('refuses another invitation when members and pending invitations fill the plan, and writes nothing', async () => {
    const o = await onboard(ctx.app, 'members')
    const emails = Array.from({ length: free.limits.members! - 1 }, () => uniqueEmail('seat'))
    for (const email of emails) expect((await invite(o, email)).statusCode).toBe(201)
    const [invitations, audit] = [await count('invitations', o.workspaceId), await count('auditEvents', o.workspaceId)]
    expectLimit(await invite(o), 'members', free.limits.members!)
    expect(await count('invitations', o.workspaceId)).toBe(invitations)
    expect(await count('auditEvents', o.workspaceId)).toBe(audit)
  })

  it('lets an invitation be sent again to the same address without taking a second seat', async () => {
    const o = await onboard(ctx.app, 'resend')
    const emails = Array.from({ length: free.limits.members! - 1 }, () => uniqueEmail('seat'))
    for (const email of emails) await invite(o, email)
    expect((await invite(o, emails[0])).statusCode).toBe(201)
  })

  it('refuses another custom agent with 402 and writes nothing', async () => {
    const o = await onboard(ctx.app, 'agents')
    for (let i = 0; i < free.limits.customAgents!; i++)
      expect((await createAgent(o, `Agent ${i}`)).statusCode).toBe(201)
    const agents = await count('agents', o.workspaceId)
    expectLimit(await createAgent(o), 'customAgents', free.limits.customAgents!)
    expect(await count('agents', o.workspaceId)).toBe(agents)
  })

  it('refuses to restore an archived custom agent past the limit', async () => {
    const o = await onboard(ctx.app, 'restore')
    const first = (await createAgent(o, 'First')).json().id as string
    expect((await call(ctx.app, 'PATCH', `/api/agents/${first}`, as(o), { archived: true })).statusCode).toBe(200)
    for (let i = 0; i < free.limits.customAgents!; i++)
      expect((await createAgent(o, `Agent ${i}`)).statusCode).toBe(201)
    expectLimit(
      await call(ctx.app, 'PATCH', `/api/agents/${first}`, as(o), { archived: false }),
      'customAgents',
      free.limits.customAgents!,
    )
  })
})

describe('the operator in self-hosted mode', () => {
  it('upgrades a workspace: the limit is lifted and the monthly credits are granted', async () => {
    const o = await onboard(ctx.app, 'upgrade')
    for (let i = 1; i < free.limits.clients!; i++) await createClient(o, `Client ${i}`)
    expect((await createClient(o)).statusCode).toBe(402)
    const res = await setPlan(o.workspaceId, 'pro')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      workspaceId: o.workspaceId,
      plan: { id: 'pro' },
      grantedCredits: pro.monthlyCredits,
    })
    expect((await createClient(o)).statusCode).toBe(201)
    const balance = (await call(ctx.app, 'GET', '/api/credits/balance', as(o))).json()
    expect(balance).toMatchObject({ plan: 'pro', balance: (50 + pro.monthlyCredits) * MICRO })
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'metadata'])
      .where('workspaceId', '=', o.workspaceId)
      .where('action', '=', 'plan.assigned')
      .execute()
    expect(audit).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({
          from: 'free',
          to: 'pro',
          reason: 'Self-hosted upgrade',
          grantedCredits: pro.monthlyCredits,
        }),
      }),
    ])
  })

  it('grants the monthly credits once: the same plan again this month grants nothing more', async () => {
    const o = await onboard(ctx.app, 'twice')
    expect((await setPlan(o.workspaceId, 'pro')).json().grantedCredits).toBe(pro.monthlyCredits)
    const again = await setPlan(o.workspaceId, 'pro', 'Clicked twice')
    expect(again.statusCode).toBe(200)
    expect(again.json().grantedCredits).toBe(0)
    const grants = await ctx.container.db
      .selectFrom('creditEntries')
      .select(['amount'])
      .where('workspaceId', '=', o.workspaceId)
      .where('requestId', '=', `plan:${o.workspaceId}:pro:${month()}`)
      .execute()
    expect(grants).toEqual([{ amount: BigInt(pro.monthlyCredits * MICRO) }])
  })

  it('refuses an unknown plan with 400 and an unknown workspace with 404', async () => {
    const o = await onboard(ctx.app, 'unknown')
    const res = await setPlan(o.workspaceId, 'platinum')
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('plan.unknown')
    expect((await setPlan('ws_doesnotexist0000000000', 'pro')).statusCode).toBe(404)
  })

  it('needs the operator token', async () => {
    const o = await onboard(ctx.app, 'token')
    const res = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${o.workspaceId}/plan`,
      { cookie: o.user.cookie },
      { plan: 'agency', reason: 'Please' },
    )
    expect(res.statusCode).toBe(401)
    expect(
      (await call(ctx.app, 'GET', `/api/workspaces/${o.workspaceId}/plan`, { cookie: o.user.cookie })).json().plan.id,
    ).toBe('free')
  })
})

describe('a server where Stripe manages billing', () => {
  it('refuses a local plan change with 409 plan.managed_by_stripe and changes nothing', async () => {
    const c2 = await createTestContext({
      PLANS_FILE: 'config/plans.json',
      STRIPE_SECRET_KEY: 'sk_test_fake',
      STRIPE_PRICE_PRO: 'price_pro_test',
    })
    try {
      const o = await onboard(c2.app, 'stripe')
      expect((await call(c2.app, 'GET', '/api/plans')).json().billingEnabled).toBe(true)
      const res = await call(c2.app, 'PUT', `/api/operator/workspaces/${o.workspaceId}/plan`, op, {
        plan: 'pro',
        reason: 'Bypass Stripe',
      })
      expect(res.statusCode).toBe(409)
      expect(res.json().error.code).toBe('plan.managed_by_stripe')
      expect(
        (await call(c2.app, 'GET', `/api/workspaces/${o.workspaceId}/plan`, { cookie: o.user.cookie })).json().plan.id,
      ).toBe('free')
      const grants = await c2.container.db
        .selectFrom('creditEntries')
        .select('id')
        .where('workspaceId', '=', o.workspaceId)
        .where('requestId', 'like', 'plan:%')
        .execute()
      expect(grants).toEqual([])
    } finally {
      await c2.close()
    }
  })
})

describe('model tiers', () => {
  const ask = async (o: Owner) => {
    const conv = (
      await call(
        ctx.app,
        'POST',
        '/api/chat/conversations',
        { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } },
        { agentId: 'builtin.copywriter' },
      )
    ).json().id as string
    return call(
      ctx.app,
      'POST',
      `/api/chat/conversations/${conv}/messages`,
      { cookie: o.user.cookie },
      { content: 'Deep analysis please', modelId: 'openai:gpt-4.1' },
    )
  }

  it('refuses an advanced model on Free with 403 model.not_in_plan', async () => {
    const res = await ask(await onboard(ctx.app, 'tier-free'))
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatchObject({
      code: 'model.not_in_plan',
      details: { plan: 'free', modelId: 'openai:gpt-4.1' },
    })
  })

  it('answers with an advanced model on Pro', async () => {
    const o = await onboard(ctx.app, 'tier-pro')
    await setPlan(o.workspaceId, 'pro')
    const res = await ask(o)
    expect(res.statusCode, res.body).toBe(200)
    const usage = parseSse(res.body).find((e) => e.event === 'usage')
    expect(usage?.data).toMatchObject({ usage: { inputTokens: 300, outputTokens: 8 } })
    expect(fake.completions().at(-1)?.body).toMatchObject({ model: 'gpt-4.1' })
  })
})

describe.skipIf(driver !== 'postgres')('concurrent creates', () => {
  it('let exactly one of several concurrent client creates take the last slot', async () => {
    const o = await onboard(ctx.app, 'race')
    for (let i = 2; i < free.limits.clients!; i++) await createClient(o, `Client ${i}`)
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => createClient(o, `Racer ${i}`)))
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 402, 402, 402, 402, 402])
    expect(await count('clients', o.workspaceId)).toBe(free.limits.clients)
  })
})
