import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'
import { parseSse } from '../sse.ts'

/**
 * A chat answer never spends more than it held: an answer that calls tools for several model steps holds credits
 * before each step, and stops cleanly — answer saved, charged for what it did, `credits.insufficient` shown — when the
 * next hold is refused. The model keeps calling a tool for three rounds and each step reports near its maximum output.
 */
const MICRO = 1_000_000
let ctx: TestContext
let fake: FakeOpenAI

const search = [{ id: 'call_s', name: 'search_conversations', arguments: '{"query":"spring sale"}' }]

beforeAll(async () => {
  fake = await startFakeOpenAI({
    text: 'Here is what I found.',
    toolCalls: search,
    toolRounds: 3,
    usage: { prompt_tokens: 900, completion_tokens: 4000 },
  })
  ctx = await createTestContext({ OPENAI_API_KEY: 'sk-steps', OPENAI_BASE_URL: fake.url })
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

const setup = async (label: string) => {
  const o = await onboard(ctx.app, label)
  const as = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
  const conv = (
    await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.personal-assistant' })
  ).json().id as string
  const content = 'What did we say about the spring sale?'
  const estimate = (await call(ctx.app, 'POST', '/api/credits/estimate', as, { content, conversationId: conv })).json()
    .estimate as number
  return { o, as, conv, content, estimate }
}
const setAvailable = async (workspaceId: string, micro: bigint) => {
  const { ledger } = ctx.container.credits
  const b = await ledger.balance(ctx.container.db, workspaceId)
  if (micro !== b.available)
    await ledger.post(ctx.container.db, {
      workspaceId,
      kind: 'adjustment',
      amount: micro - b.available,
      requestId: `steps-set-${workspaceId}`,
      reason: 'test',
    })
}
/** The ledger's invariants for one workspace: entries sum to the balance, pending holds to held, available ≥ 0. */
const invariants = async (workspaceId: string) => {
  const { db } = ctx.container
  const account = await db
    .selectFrom('creditAccounts')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .executeTakeFirstOrThrow()
  const entries = await db.selectFrom('creditEntries').select('amount').where('workspaceId', '=', workspaceId).execute()
  const pending = await db
    .selectFrom('creditHolds')
    .select('amount')
    .where('workspaceId', '=', workspaceId)
    .where('status', '=', 'pending')
    .execute()
  expect(account.balance).toBe(entries.reduce((s, e) => s + e.amount, 0n))
  expect(account.held).toBe(pending.reduce((s, h) => s + h.amount, 0n))
  expect(account.balance - account.held).toBeGreaterThanOrEqual(0n)
}
const callHolds = (workspaceId: string, requestId: string) =>
  ctx.container.db
    .selectFrom('creditHolds')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .where('requestId', 'like', `${requestId}%`)
    .orderBy('createdAt')
    .execute()
const overages = (workspaceId: string) =>
  ctx.container.db.selectFrom('creditOverages').selectAll().where('workspaceId', '=', workspaceId).execute()

describe('an answer that takes several model steps', () => {
  it('stops cleanly when the balance covers one step only: answer saved, charged within its hold, credits.insufficient shown', async () => {
    const { o, as, conv, content, estimate } = await setup('one-step')
    // Enough for the first step's hold, not for a second one.
    await setAvailable(o.workspaceId, BigInt(Math.round(estimate * 1.5)))
    const calls = fake.completions().length

    const res = await call(
      ctx.app,
      'POST',
      `/api/chat/conversations/${conv}/messages`,
      { ...as, headers: { ...as.headers, 'x-request-id': 'req-steps-short' } },
      { content },
    )
    expect(res.statusCode).toBe(200)
    const events = parseSse(res.body)
    expect(fake.completions().length - calls).toBe(1)
    expect(events.find((e) => e.event === 'error')?.data).toMatchObject({ code: 'credits.insufficient' })
    expect(events.find((e) => e.event === 'done')?.data).toMatchObject({ status: 'failed' })
    const saved = (await call(ctx.app, 'GET', `/api/chat/conversations/${conv}/messages`, as)).json().items.at(-1)
    expect(saved.parts.map((p: { type: string }) => p.type)).toEqual(['tool-call', 'tool-result'])
    expect(saved.error).toMatchObject({ code: 'credits.insufficient' })
    expect(saved.usage.charged).toBeGreaterThan(0)

    const holds = await callHolds(o.workspaceId, 'req-steps-short')
    const debits = await ctx.container.db
      .selectFrom('creditEntries')
      .selectAll()
      .where('workspaceId', '=', o.workspaceId)
      .where('kind', '=', 'debit')
      .execute()
    const held = holds.reduce((s, h) => s + h.amount, 0n)
    const debited = debits.reduce((s, d) => s - d.amount, 0n)
    expect(debited).toBe(BigInt(saved.usage.charged))
    expect(debited).toBeLessThanOrEqual(held)
    expect(holds.every((h) => h.status !== 'pending')).toBe(true)
    expect(await overages(o.workspaceId)).toEqual([])
    await invariants(o.workspaceId)
  })

  it('with enough credits, holds before each step and charges the whole answer once, within its holds', async () => {
    const { o, as, conv, content } = await setup('many-steps')
    await setAvailable(o.workspaceId, 50n * BigInt(MICRO))
    const calls = fake.completions().length
    const res = await call(
      ctx.app,
      'POST',
      `/api/chat/conversations/${conv}/messages`,
      { ...as, headers: { ...as.headers, 'x-request-id': 'req-steps-full' } },
      { content },
    )
    const events = parseSse(res.body)
    expect(fake.completions().length - calls).toBe(4)
    expect(events.find((e) => e.event === 'done')?.data).toMatchObject({ status: 'complete' })
    const holds = await callHolds(o.workspaceId, 'req-steps-full')
    expect(holds.map((h) => h.requestId)).toEqual([
      'req-steps-full',
      'req-steps-full:step2',
      'req-steps-full:step3',
      'req-steps-full:step4',
    ])
    const charged = events.find((e) => e.event === 'usage')!.data.charged as number
    expect(holds.reduce((s, h) => s + (h.charged ?? 0n), 0n)).toBe(BigInt(charged))
    expect(holds.every((h) => h.charged! <= h.amount)).toBe(true)
    expect(await overages(o.workspaceId)).toEqual([])
    await invariants(o.workspaceId)
  })
})

describe('the holds of a call whose process died', () => {
  it('are settled together by expiry, for every step whose prompt was sent, once', async () => {
    const o = await onboard(ctx.app, 'crashed-steps')
    const { ledger, metering } = ctx.container.credits
    const mk = (requestId: string) =>
      ledger.hold({
        workspaceId: o.workspaceId,
        clientId: null,
        userId: o.user.id,
        tokenId: null,
        surface: 'v1',
        modelId: 'openai:gpt-4o-mini',
        streaming: false,
        requestId,
        amount: 50_000n,
        inputTokens: 1000,
        paramsHash: '',
        ttlMs: 1,
      })
    await mk('req-crash-steps')
    await mk('req-crash-steps:step2')
    await new Promise((r) => setTimeout(r, 5))
    const catalog = (id: string) => ctx.container.models.priceableModel(id)
    expect(await metering.sweepExpired(catalog)).toBeGreaterThanOrEqual(2)
    expect(await metering.sweepExpired(catalog)).toBe(0)
    const holds = await callHolds(o.workspaceId, 'req-crash-steps')
    // 2 × 1000 prompt tokens at $0.15 per million, × 2 margin, 1 credit = $0.01: 60 000 micro-credits over both holds.
    expect(holds.map((h) => [h.status, h.charged])).toEqual([
      ['expired', 50_000n],
      ['expired', 10_000n],
    ])
    expect(await overages(o.workspaceId)).toEqual([])
    await invariants(o.workspaceId)
  })
})

describe('/v1 with tools', () => {
  it('is one model step per request: the tool calls go back to the caller, on one hold', async () => {
    const o = await onboard(ctx.app, 'v1-tools')
    const { token } = await createToken(ctx.app, o.user)
    const calls = fake.completions().length
    const tools = [
      {
        type: 'function',
        function: {
          name: 'search_conversations',
          parameters: { type: 'object', properties: { query: { type: 'string' } } },
        },
      },
    ]
    const res = await call(
      ctx.app,
      'POST',
      '/v1/chat/completions',
      { token, headers: { 'x-request-id': 'req-v1-tools' } },
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Find the spring sale' }], tools },
    )
    expect(res.statusCode).toBe(200)
    expect(res.json().choices[0].finish_reason).toBe('tool_calls')
    expect(fake.completions().length - calls).toBe(1)
    expect((await callHolds(o.workspaceId, 'req-v1-tools')).map((h) => h.requestId)).toEqual(['req-v1-tools'])
    expect(await overages(o.workspaceId)).toEqual([])
  })
})
