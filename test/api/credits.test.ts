import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import {
  addMember,
  call,
  createTestContext,
  createToken,
  onboard,
  TEST_INTERNAL_TOKEN,
  type TestContext,
  type TestUser,
} from '../harness.ts'
import { parseSse } from '../sse.ts'

/**
 * Credits as an agency meets them: welcome credits, an estimate before sending, the exact charge after, a clear
 * 402 when the balance is short, replays that charge nothing more, caps and throttles, disputes refunded in the
 * ledger. The model is OpenAI's wire format on a loopback fake, priced at gpt-4o-mini's list price.
 */
const MICRO = 1_000_000
// gpt-4o-mini: $0.15 / $0.60 per million tokens; 1 credit = $0.01; charge = cost × 2 (100 % margin), rounded up.
const expectedCharge = (input: number, output: number) => Math.ceil(((input * 150_000 + output * 600_000) * 2) / 10_000)

type Owner = Awaited<ReturnType<typeof onboard>>
let ctx: TestContext
let fake: FakeOpenAI
let owner: Owner

const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const balance = async (user: TestUser, workspaceId: string) =>
  (await call(ctx.app, 'GET', '/api/credits/balance', { cookie: user.cookie, workspaceId })).json()
const conversation = async (o: Owner, agentId = 'builtin.copywriter') =>
  (
    await call(
      ctx.app,
      'POST',
      '/api/chat/conversations',
      { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } },
      { agentId },
    )
  ).json().id as string
const send = (
  user: TestUser,
  conversationId: string,
  content: string,
  requestId?: string,
  extra: Record<string, unknown> = {},
) =>
  call(
    ctx.app,
    'POST',
    `/api/chat/conversations/${conversationId}/messages`,
    { cookie: user.cookie, headers: requestId ? { 'x-request-id': requestId } : {} },
    { content, ...extra },
  )
const debits = async (workspaceId: string) =>
  ctx.container.db
    .selectFrom('creditEntries')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .where('kind', '=', 'debit')
    .execute()
const setAvailable = async (workspaceId: string, credits: number) => {
  const b = await ctx.container.credits.ledger.balance(ctx.container.db, workspaceId)
  const delta = BigInt(Math.round(credits * MICRO)) - b.available
  if (delta !== 0n)
    await ctx.container.credits.ledger.post(ctx.container.db, {
      workspaceId,
      kind: 'adjustment',
      amount: delta,
      requestId: `test-set-${Date.now()}-${Math.random()}`,
      reason: 'test',
    })
}

beforeAll(async () => {
  fake = await startFakeOpenAI({
    text: 'Lead with the price, then the proof.',
    chunks: 4,
    usage: { prompt_tokens: 400, completion_tokens: 9 },
  })
  ctx = await createTestContext({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.url })
  owner = await onboard(ctx.app, 'credits')
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

describe('welcome credits', () => {
  it('grants them once per person: the first workspace has them, a second one does not', async () => {
    const first = await balance(owner.user, owner.workspaceId)
    expect(first).toMatchObject({ balance: 50 * MICRO, held: 0, available: 50 * MICRO, plan: 'free' })
    const second = await call(
      ctx.app,
      'POST',
      '/api/workspaces',
      { cookie: owner.user.cookie },
      { name: 'Second agency' },
    )
    expect(second.statusCode).toBe(201)
    expect(await balance(owner.user, second.json().id)).toMatchObject({ balance: 0, available: 0 })
    const grants = await ctx.container.db
      .selectFrom('creditEntries')
      .select('requestId')
      .where('requestId', '=', `welcome:${owner.user.id}`)
      .execute()
    expect(grants).toHaveLength(1)
  })
})

describe('a chat answer, metered', () => {
  it('estimates the draft before sending, then charges exactly the reported usage and frees the rest', async () => {
    const conv = await conversation(owner)
    const est = await call(
      ctx.app,
      'POST',
      '/api/credits/estimate',
      { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } },
      { content: 'Write a headline for the spring sale', conversationId: conv },
    )
    expect(est.statusCode).toBe(200)
    expect(est.json()).toMatchObject({
      modelId: 'openai:gpt-4o-mini',
      billedBy: 'camarad',
      offline: false,
      maxOutputTokens: 4096,
      sufficient: true,
    })
    expect(est.json().estimate).toBeGreaterThan(expectedCharge(400, 9))
    const before = await balance(owner.user, owner.workspaceId)

    const res = await send(owner.user, conv, 'Write a headline for the spring sale', 'req-chat-charge-1')
    expect(res.statusCode).toBe(200)
    const events = parseSse(res.body)
    const run = events.find((e) => e.event === 'run')!
    expect(run.data.estimate).toBe(est.json().estimate)
    const usage = events.find((e) => e.event === 'usage')!
    expect(usage.data.charged).toBe(expectedCharge(400, 9))
    expect(usage.data.available).toBe(before.available - expectedCharge(400, 9))

    const after = await balance(owner.user, owner.workspaceId)
    expect(after).toMatchObject({ balance: before.balance - expectedCharge(400, 9), held: 0 })
    const ledger = (
      await call(ctx.app, 'GET', '/api/credits/ledger?requestId=req-chat-charge-1', {
        cookie: owner.user.cookie,
        workspaceId: owner.workspaceId,
      })
    ).json()
    expect(ledger.items).toEqual([
      expect.objectContaining({
        kind: 'debit',
        amount: -expectedCharge(400, 9),
        modelId: 'openai:gpt-4o-mini',
        surface: 'chat',
        clientId: owner.clientId,
        userId: owner.user.id,
      }),
    ])
    const hold = (
      await call(ctx.app, 'GET', '/api/credits/holds', { cookie: owner.user.cookie, workspaceId: owner.workspaceId })
    ).json().items[0]
    expect(hold).toMatchObject({
      requestId: 'req-chat-charge-1',
      status: 'settled',
      amount: est.json().estimate,
      charged: expectedCharge(400, 9),
    })
    const messages = (
      await call(ctx.app, 'GET', `/api/chat/conversations/${conv}/messages`, { cookie: owner.user.cookie })
    ).json().items
    expect(messages.at(-1).usage).toMatchObject({ inputTokens: 400, outputTokens: 9, charged: expectedCharge(400, 9) })
  })

  it('replays the same request id: the same answer streams again and nothing more is charged', async () => {
    const conv = await conversation(owner)
    const first = parseSse((await send(owner.user, conv, 'Name three angles', 'req-chat-replay-1')).body)
    const calls = fake.completions().length
    const again = await send(owner.user, conv, 'Name three angles', 'req-chat-replay-1')
    expect(again.statusCode).toBe(200)
    const replay = parseSse(again.body)
    expect(replay.find((e) => e.event === 'run')!.data.messageId).toBe(
      first.find((e) => e.event === 'run')!.data.messageId,
    )
    expect(fake.completions().length).toBe(calls)
    expect((await debits(owner.workspaceId)).filter((d) => d.requestId === 'req-chat-replay-1')).toHaveLength(1)
    const other = await send(owner.user, conv, 'Something else entirely', 'req-chat-replay-1')
    expect(other.statusCode).toBe(409)
    expect(other.json().error.code).toBe('request.idempotency_mismatch')
  })

  it('refuses with 402, the estimate, the balance and the upgrade path when the balance is short, and writes nothing', async () => {
    const poor = await onboard(ctx.app, 'poor')
    const conv = await conversation(poor)
    await setAvailable(poor.workspaceId, 0.0001)
    const countMessages = async () =>
      (await ctx.container.db.selectFrom('messages').select('id').where('clientId', '=', poor.clientId).execute())
        .length
    const before = await countMessages()
    const res = await send(poor.user, conv, 'Plan our Q3 campaigns')
    expect(res.statusCode).toBe(402)
    expect(res.json().error).toMatchObject({
      code: 'credits.insufficient',
      details: { available: 100, upgradeUrl: '/app/settings/usage' },
    })
    expect(res.json().error.details.estimate).toBeGreaterThan(100)
    expect(res.json().error.message).toMatch(/credits/)
    expect(await countMessages()).toBe(before)
    expect(await balance(poor.user, poor.workspaceId)).toMatchObject({ held: 0, available: 100 })
  })

  it('counts and flags an answer whose provider reports zero usage, and charges for it', async () => {
    const silent = await startFakeOpenAI({
      text: 'A long answer the provider forgot to count.',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
    })
    const c2 = await createTestContext({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: silent.url })
    try {
      const o = await onboard(c2.app, 'silent')
      const conv = (
        await call(
          c2.app,
          'POST',
          '/api/chat/conversations',
          { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } },
          { agentId: 'builtin.copywriter' },
        )
      ).json().id
      const events = parseSse(
        (
          await call(
            c2.app,
            'POST',
            `/api/chat/conversations/${conv}/messages`,
            { cookie: o.user.cookie },
            { content: 'Go' },
          )
        ).body,
      )
      const usage = events.find((e) => e.event === 'usage')!.data as {
        usage: { estimated: boolean; outputTokens: number; inputTokens: number }
        charged: number
      }
      expect(usage.usage.estimated).toBe(true)
      expect(usage.usage.outputTokens).toBeGreaterThan(5)
      expect(usage.usage.inputTokens).toBeGreaterThan(100)
      expect(usage.charged).toBe(expectedCharge(usage.usage.inputTokens, usage.usage.outputTokens))
      const call0 = await c2.container.db
        .selectFrom('modelCalls')
        .selectAll()
        .where('workspaceId', '=', o.workspaceId)
        .executeTakeFirstOrThrow()
      expect(call0).toMatchObject({ usageEstimated: true, charged: BigInt(usage.charged) })
    } finally {
      await c2.close()
      await silent.close()
    }
  })

  it('gates advanced models by plan with 403 model.not_in_plan', async () => {
    const conv = await conversation(owner)
    const res = await send(owner.user, conv, 'Deep analysis please', undefined, { modelId: 'openai:gpt-4.1' })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatchObject({
      code: 'model.not_in_plan',
      details: { plan: 'free', upgradeUrl: '/app/settings/usage' },
    })
  })
})

describe('limits', () => {
  it('refuses a call above the per-request cap with 402 credits.cap_reached', async () => {
    const o = await onboard(ctx.app, 'capped')
    const conv = await conversation(o)
    expect(
      (
        await call(
          ctx.app,
          'PATCH',
          '/api/credits/limits',
          { cookie: o.user.cookie, workspaceId: o.workspaceId },
          { perRequestCap: 1000 },
        )
      ).statusCode,
    ).toBe(200)
    const res = await send(o.user, conv, 'Hello')
    expect(res.statusCode).toBe(402)
    expect(res.json().error).toMatchObject({ code: 'credits.cap_reached', details: { scope: 'request', cap: 1000 } })
  })

  it("stops a user at their daily cap and shows the cap's level in the balance", async () => {
    const o = await onboard(ctx.app, 'daily')
    const conv = await conversation(o)
    const est = (
      await call(
        ctx.app,
        'POST',
        '/api/credits/estimate',
        { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } },
        { content: 'Hi', conversationId: conv },
      )
    ).json().estimate as number
    const put = await call(
      ctx.app,
      'PUT',
      '/api/credits/caps',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { subjectKind: 'user', subjectId: o.user.id, daily: est + 5000, monthly: null },
    )
    expect(put.statusCode).toBe(200)
    expect((await send(o.user, conv, 'Hi')).statusCode).toBe(200)
    const caps = (await balance(o.user, o.workspaceId)).caps
    expect(caps).toEqual([
      expect.objectContaining({ subjectKind: 'user', period: 'daily', cap: est + 5000, used: expectedCharge(400, 9) }),
    ])
    const res = await send(o.user, conv, 'Hi again')
    expect(res.statusCode).toBe(402)
    expect(res.json().error).toMatchObject({
      code: 'credits.cap_reached',
      details: { scope: 'daily', subject: 'user' },
    })
  })

  it('throttles requests per minute per user with 429 credits.throttled and Retry-After', async () => {
    const o = await onboard(ctx.app, 'throttled')
    const conv = await conversation(o)
    await call(
      ctx.app,
      'PATCH',
      '/api/credits/limits',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { requestsPerMinuteUser: 1 },
    )
    expect((await send(o.user, conv, 'One')).statusCode).toBe(200)
    const res = await send(o.user, conv, 'Two')
    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('credits.throttled')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('lets only admins change limits', async () => {
    const member = await addMember(ctx.app, owner.user, owner.workspaceId, 'member', 'limits-member')
    const res = await call(
      ctx.app,
      'PATCH',
      '/api/credits/limits',
      { cookie: member.cookie, workspaceId: owner.workspaceId },
      { perRequestCap: 1 },
    )
    expect(res.statusCode).toBe(403)
    expect(
      (
        await call(
          ctx.app,
          'PATCH',
          '/api/credits/limits',
          { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
          {},
        )
      ).statusCode,
    ).toBe(400)
  })
})

describe('disputes', () => {
  it('a member disputes their debit, the owner cannot approve it, the operator does, and the refund appears in the ledger', async () => {
    const member = await addMember(ctx.app, owner.user, owner.workspaceId, 'member', 'disputer')
    const conv = (
      await call(
        ctx.app,
        'POST',
        '/api/chat/conversations',
        { cookie: member.cookie, headers: { 'x-client-id': owner.clientId } },
        { agentId: 'builtin.copywriter' },
      )
    ).json().id
    expect((await send(member, conv, 'Draft an ad', 'req-dispute-1')).statusCode).toBe(200)
    const mine = (
      await call(ctx.app, 'GET', '/api/credits/ledger', { cookie: member.cookie, workspaceId: owner.workspaceId })
    ).json().items
    expect(mine.every((e: { userId: string }) => e.userId === member.id)).toBe(true)
    const debit = mine.find((e: { requestId: string }) => e.requestId === 'req-dispute-1')
    const before = await balance(owner.user, owner.workspaceId)

    const opened = await call(
      ctx.app,
      'POST',
      '/api/credits/disputes',
      { cookie: member.cookie, workspaceId: owner.workspaceId },
      { entryId: debit.id, reason: 'The answer was cut off' },
    )
    expect(opened.statusCode).toBe(201)
    expect(opened.json()).toMatchObject({
      status: 'open',
      amount: debit.amount,
      openedBy: member.id,
      workspaceId: owner.workspaceId,
      notes: [],
    })
    expect(
      (
        await call(
          ctx.app,
          'POST',
          '/api/credits/disputes',
          { cookie: member.cookie, workspaceId: owner.workspaceId },
          { entryId: debit.id, reason: 'Again' },
        )
      ).statusCode,
    ).toBe(409)
    // Nobody in the workspace decides: the approve route is gone for the member and the owner alike.
    for (const who of [member, owner.user]) {
      for (const decision of ['approve', 'reject']) {
        const res = await call(
          ctx.app,
          'POST',
          `/api/credits/disputes/${opened.json().id}/${decision}`,
          { cookie: who.cookie },
          { note: 'Self-approved' },
        )
        expect(res.statusCode).toBe(404)
      }
    }
    expect(
      (
        await call(
          ctx.app,
          'POST',
          `/api/operator/disputes/${opened.json().id}/approve`,
          { cookie: owner.user.cookie },
          { note: 'Self-approved' },
        )
      ).statusCode,
    ).toBe(401)
    expect(
      (
        await call(ctx.app, 'GET', '/api/credits/ledger?kind=refund', {
          cookie: owner.user.cookie,
          workspaceId: owner.workspaceId,
        })
      ).json().items,
    ).toEqual([])

    const approved = await call(ctx.app, 'POST', `/api/operator/disputes/${opened.json().id}/approve`, op, {
      note: 'Provider outage',
    })
    expect(approved.statusCode).toBe(200)
    expect(approved.json()).toMatchObject({ status: 'approved', resolutionNote: 'Provider outage', resolvedBy: null })
    const refunds = (
      await call(ctx.app, 'GET', '/api/credits/ledger?kind=refund', {
        cookie: owner.user.cookie,
        workspaceId: owner.workspaceId,
      })
    ).json().items
    expect(refunds).toEqual([
      expect.objectContaining({
        kind: 'refund',
        amount: -debit.amount,
        refundOf: debit.id,
        userId: member.id,
        requestId: `dispute:${opened.json().id}`,
      }),
    ])
    expect(approved.json().refundEntryId).toBe(refunds[0].id)
    expect((await balance(owner.user, owner.workspaceId)).balance).toBe(before.balance - debit.amount)
    const listed = (
      await call(ctx.app, 'GET', `/api/credits/ledger?requestId=req-dispute-1`, {
        cookie: owner.user.cookie,
        workspaceId: owner.workspaceId,
      })
    ).json().items
    expect(listed[0].dispute).toEqual({ id: opened.json().id, status: 'approved' })
    expect(
      (
        await call(ctx.app, 'POST', `/api/operator/disputes/${opened.json().id}/reject`, op, {
          note: 'Changed my mind',
        })
      ).statusCode,
    ).toBe(409)
  })

  it('refuses to dispute anything but a debit', async () => {
    const grant = (
      await call(ctx.app, 'GET', '/api/credits/ledger?kind=grant', {
        cookie: owner.user.cookie,
        workspaceId: owner.workspaceId,
      })
    ).json().items[0]
    const res = await call(
      ctx.app,
      'POST',
      '/api/credits/disputes',
      { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
      { entryId: grant.id, reason: 'Not mine' },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('credits.not_disputable')
  })
})

describe('the ledger', () => {
  it('pages newest first with a cursor, filters, and exports CSV', async () => {
    const as = { cookie: owner.user.cookie, workspaceId: owner.workspaceId }
    const all = (await call(ctx.app, 'GET', '/api/credits/ledger?limit=200', as)).json().items as {
      id: string
      kind: string
    }[]
    expect(all.length).toBeGreaterThan(3)
    const first = (await call(ctx.app, 'GET', '/api/credits/ledger?limit=2', as)).json()
    const second = (await call(ctx.app, 'GET', `/api/credits/ledger?limit=2&cursor=${first.nextCursor}`, as)).json()
    expect([...first.items, ...second.items].map((e: { id: string }) => e.id)).toEqual(all.slice(0, 4).map((e) => e.id))
    expect(
      (await call(ctx.app, 'GET', '/api/credits/ledger?kind=debit', as))
        .json()
        .items.every((e: { kind: string }) => e.kind === 'debit'),
    ).toBe(true)
    expect((await call(ctx.app, 'GET', '/api/credits/ledger?cursor=garbage', as)).statusCode).toBe(400)
    const csv = await call(ctx.app, 'GET', '/api/credits/ledger?format=csv', as)
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toMatch(/text\/csv/)
    const lines = csv.body.trim().split('\n')
    expect(lines[0]).toBe(
      'id,createdAt,kind,amount,credits,requestId,clientId,userId,modelId,surface,holdId,refundOf,reason',
    )
    expect(lines).toHaveLength(all.length + 1)
  })

  it('pages holds newest first with a cursor, each hold once', async () => {
    const o = await onboard(ctx.app, 'holds-pages')
    const as = { cookie: o.user.cookie, workspaceId: o.workspaceId }
    for (let i = 0; i < 5; i++) {
      await ctx.container.credits.ledger.hold({
        workspaceId: o.workspaceId,
        clientId: null,
        userId: o.user.id,
        tokenId: null,
        surface: 'v1',
        modelId: 'openai:gpt-4o-mini',
        streaming: false,
        requestId: `page-${i}`,
        amount: 1000n,
        inputTokens: 10,
        paramsHash: '',
        ttlMs: 60_000,
      })
    }
    const all = (await call(ctx.app, 'GET', '/api/credits/holds?limit=100', as)).json()
    const pages: string[][] = []
    let cursor: string | null = null
    do {
      const page = (
        await call(ctx.app, 'GET', `/api/credits/holds?limit=2${cursor ? `&cursor=${cursor}` : ''}`, as)
      ).json() as { items: { id: string }[]; nextCursor: string | null }
      pages.push(page.items.map((h) => h.id))
      cursor = page.nextCursor
    } while (cursor)

    expect(all.items).toHaveLength(5)
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1])
    expect(pages.flat()).toEqual(all.items.map((h: { id: string }) => h.id))
    expect((await call(ctx.app, 'GET', '/api/credits/holds?cursor=garbage', as)).statusCode).toBe(400)
  })

  it('sums to the balance', async () => {
    const entries = await ctx.container.db
      .selectFrom('creditEntries')
      .select('amount')
      .where('workspaceId', '=', owner.workspaceId)
      .execute()
    const sum = entries.reduce((s, e) => s + e.amount, 0n)
    expect(Number(sum)).toBe((await balance(owner.user, owner.workspaceId)).balance)
  })

  it('reports spend by model and by day, and builds monthly statements', async () => {
    const as = { cookie: owner.user.cookie, workspaceId: owner.workspaceId }
    const byModel = (await call(ctx.app, 'GET', '/api/credits/spend?groupBy=model', as)).json()
    expect(byModel.rows[0]).toMatchObject({ key: 'openai:gpt-4o-mini' })
    expect(byModel.total).toBeGreaterThan(0)
    const byDay = (await call(ctx.app, 'GET', '/api/credits/spend?groupBy=day', as)).json()
    expect(byDay.total).toBe(byModel.total)
    await ctx.container.credits.statements.buildStatements(new Date().toISOString().slice(0, 7))
    const statements = (await call(ctx.app, 'GET', '/api/credits/statements', as)).json().items
    expect(statements.find((s: { userId: string | null }) => s.userId === null)).toMatchObject({ granted: 50 * MICRO })
  })
})

describe('operator', () => {
  it('grants credits idempotently by request id, refuses a changed amount, and needs the operator token', async () => {
    const o = await onboard(ctx.app, 'granted')
    const url = `/api/operator/workspaces/${o.workspaceId}/credits`
    expect((await call(ctx.app, 'POST', url, {}, { credits: 10, reason: 'Goodwill' })).statusCode).toBe(401)
    expect(
      (
        await call(
          ctx.app,
          'POST',
          url,
          { headers: { 'x-internal-token': 'wrong-token-wrong-token-wrong' } },
          { credits: 10, reason: 'Goodwill' },
        )
      ).statusCode,
    ).toBe(401)
    const first = await call(ctx.app, 'POST', url, op, {
      credits: 12.5,
      reason: 'Goodwill',
      requestId: 'grant-goodwill-1',
    })
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({ kind: 'grant', amount: 12.5 * MICRO, reason: 'Goodwill' })
    const again = await call(ctx.app, 'POST', url, op, {
      credits: 12.5,
      reason: 'Goodwill',
      requestId: 'grant-goodwill-1',
    })
    expect(again.statusCode).toBe(200)
    expect(again.json().id).toBe(first.json().id)
    expect(
      (await call(ctx.app, 'POST', url, op, { credits: 99, reason: 'Goodwill', requestId: 'grant-goodwill-1' }))
        .statusCode,
    ).toBe(409)
    expect((await balance(o.user, o.workspaceId)).balance).toBe(62.5 * MICRO)
    const tooMuch = await call(ctx.app, 'POST', url, op, { credits: -100, reason: 'Clawback' })
    expect(tooMuch.statusCode).toBe(409)
    expect(
      (
        await call(ctx.app, 'POST', '/api/operator/workspaces/ws_doesnotexist00000/credits', op, {
          credits: 1,
          reason: 'Nobody',
        })
      ).statusCode,
    ).toBe(404)
  })

  it('versions prices: a new price closes the old one and the next charge uses it', async () => {
    const put = await call(ctx.app, 'PUT', '/api/operator/prices', op, {
      modelId: 'openai:gpt-4o-mini',
      inputPerMillionUsd: 0.3,
      outputPerMillionUsd: 1.2,
      cachedInputPerMillionUsd: 0.15,
    })
    expect(put.statusCode).toBe(200)
    const versions = (await call(ctx.app, 'GET', '/api/operator/prices?modelId=openai:gpt-4o-mini', op)).json().items
    expect(versions).toHaveLength(2)
    expect(versions.filter((v: { validTo: string | null }) => v.validTo === null)).toHaveLength(1)
    const o = await onboard(ctx.app, 'repriced')
    const conv = await conversation(o)
    const usage = parseSse((await send(o.user, conv, 'Hi')).body).find((e) => e.event === 'usage')!
    expect(usage.data.charged).toBe(2 * expectedCharge(400, 9))
    await call(ctx.app, 'PUT', '/api/operator/prices', op, {
      modelId: 'openai:gpt-4o-mini',
      inputPerMillionUsd: 0.15,
      outputPerMillionUsd: 0.6,
      cachedInputPerMillionUsd: 0.075,
    })
  })

  it('opens a new credit rate version', async () => {
    const res = await call(ctx.app, 'POST', '/api/operator/credit-rates', op, {
      scope: 'shadow',
      usdPerCredit: 0.012,
      bufferPercent: 20,
      marginPercent: 80,
      note: 'Trial',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      scope: 'shadow',
      usdPerCredit: 0.012,
      bufferPercent: 20,
      marginPercent: 80,
      validTo: null,
    })
    const rates = (await call(ctx.app, 'GET', '/api/operator/credit-rates', op)).json().items
    expect(
      rates.filter((r: { scope: string; validTo: string | null }) => r.scope === 'shadow' && r.validTo === null),
    ).toHaveLength(1)
  })
})

describe('/v1, metered', () => {
  let token: string
  beforeAll(async () => {
    token = (await createToken(ctx.app, owner.user)).token
  })
  const v1 = (body: Record<string, unknown>, requestId?: string) =>
    call(
      ctx.app,
      'POST',
      '/v1/chat/completions',
      { token, headers: { 'x-workspace-id': owner.workspaceId, ...(requestId ? { 'x-request-id': requestId } : {}) } },
      body,
    )

  it('charges a completion, says so in headers, and replays the same request id without a second charge', async () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tagline for a bakery' }],
      max_tokens: 200,
    }
    const first = await v1(body, 'req-v1-replay-1')
    expect(first.statusCode).toBe(200)
    expect(Number(first.headers['x-credits-charged'])).toBe(expectedCharge(400, 9))
    expect(Number(first.headers['x-credits-estimate'])).toBeGreaterThan(0)
    const calls = fake.completions().length
    const again = await v1(body, 'req-v1-replay-1')
    expect(again.statusCode).toBe(200)
    expect(again.json().id).toBe(first.json().id)
    expect(again.headers['x-request-replayed']).toBe('true')
    expect(fake.completions().length).toBe(calls)
    const streamed = await v1({ ...body, stream: true }, 'req-v1-replay-1')
    expect(streamed.body).toContain(first.json().choices[0].message.content)
    expect((await debits(owner.workspaceId)).filter((d) => d.requestId === 'req-v1-replay-1')).toHaveLength(1)
    expect((await v1({ ...body, max_tokens: 300 }, 'req-v1-replay-1')).statusCode).toBe(409)
  })

  it('refuses with 402 when the workspace cannot cover the estimate', async () => {
    const poor = await onboard(ctx.app, 'poor-v1')
    const t = (await createToken(ctx.app, poor.user)).token
    await setAvailable(poor.workspaceId, 0)
    const res = await call(
      ctx.app,
      'POST',
      '/v1/chat/completions',
      { token: t },
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true },
    )
    expect(res.statusCode).toBe(402)
    expect(res.json().error.code).toBe('credits.insufficient')
  })
})

describe('holds whose process died', () => {
  it('are settled by expiry, once, from the recorded call or the prompt alone', async () => {
    const { ledger, metering } = ctx.container.credits
    const o = await onboard(ctx.app, 'crashed')
    const mk = (requestId: string) =>
      ledger.hold({
        workspaceId: o.workspaceId,
        clientId: null,
        userId: o.user.id,
        tokenId: null,
        surface: 'v1',
        modelId: 'openai:gpt-4o-mini',
        streaming: true,
        requestId,
        amount: 50_000n,
        inputTokens: 1000,
        paramsHash: '',
        ttlMs: 1,
      })
    await mk('req-crash-no-record')
    await new Promise((r) => setTimeout(r, 5))
    const resolved = await metering.sweepExpired((id) => ctx.container.models.priceableModel(id))
    expect(resolved).toBeGreaterThanOrEqual(1)
    expect(await metering.sweepExpired((id) => ctx.container.models.priceableModel(id))).toBe(0)
    const hold = await ctx.container.db
      .selectFrom('creditHolds')
      .selectAll()
      .where('requestId', '=', 'req-crash-no-record')
      .executeTakeFirstOrThrow()
    expect(hold).toMatchObject({ status: 'expired', charged: BigInt(expectedCharge(1000, 0)) })
    expect((await debits(o.workspaceId)).filter((d) => d.requestId === 'req-crash-no-record')).toHaveLength(1)
    expect(await balance(o.user, o.workspaceId)).toMatchObject({
      held: 0,
      balance: 50 * MICRO - expectedCharge(1000, 0),
    })
  })
})
