import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'

/**
 * The end of a metered `/v1` call: the usage row and the debit are written in one transaction (the ledger's settle
 * batch), committed before the answer is sent, so an answered call is always recorded and charged exactly once.
 */
let ctx: TestContext
let fake: FakeOpenAI
let owner: Awaited<ReturnType<typeof onboard>>
let token: string

beforeAll(async () => {
  fake = await startFakeOpenAI({
    text: 'Lead with the price, then the proof.',
    chunks: 4,
    usage: { prompt_tokens: 400, completion_tokens: 9 },
  })
  ctx = await createTestContext({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.url })
  owner = await onboard(ctx.app, 'v1-metering')
  token = (await createToken(ctx.app, owner.user)).token
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

const v1 = (requestId: string, extra: Record<string, unknown> = {}) =>
  call(
    ctx.app,
    'POST',
    '/v1/chat/completions',
    { token, headers: { 'x-workspace-id': owner.workspaceId, 'x-request-id': requestId } },
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tagline for a bakery' }], max_tokens: 200, ...extra },
  )

/** What the database holds for a request id once the answer has been received. */
const written = async (requestId: string) => {
  const { db } = ctx.container
  const calls = await db
    .selectFrom('modelCalls')
    .selectAll()
    .where('workspaceId', '=', owner.workspaceId)
    .where('requestId', '=', requestId)
    .execute()
  const debits = await db
    .selectFrom('creditEntries')
    .selectAll()
    .where('workspaceId', '=', owner.workspaceId)
    .where('requestId', '=', requestId)
    .where('kind', '=', 'debit')
    .execute()
  const holds = await db
    .selectFrom('creditHolds')
    .selectAll()
    .where('workspaceId', '=', owner.workspaceId)
    .where('requestId', '=', requestId)
    .execute()
  const progress = await db
    .selectFrom('streamProgress')
    .selectAll()
    .where('workspaceId', '=', owner.workspaceId)
    .where('requestId', '=', requestId)
    .execute()
  return { calls, debits, holds, progress }
}

describe('/v1: usage row and debit', () => {
  it('are committed together before a completion is answered, once, for what the headers say', async () => {
    const res = await v1('meter-commit-1')
    expect(res.statusCode).toBe(200)
    const { calls, debits, holds } = await written('meter-commit-1')
    expect(calls).toHaveLength(1)
    expect(debits).toHaveLength(1)
    expect(holds).toHaveLength(1)
    // now() is the transaction's start: the same value on the row, the debit and the hold's resolution.
    expect(calls[0]!.createdAt).toEqual(debits[0]!.createdAt)
    expect(holds[0]!.resolvedAt).toEqual(debits[0]!.createdAt)
    expect(holds[0]).toMatchObject({ status: 'settled', charged: calls[0]!.charged })
    expect(-debits[0]!.amount).toBe(BigInt(res.headers['x-credits-charged'] as string))
  })

  it('are committed together before a stream ends, and a stream that saved no progress leaves no progress row', async () => {
    const res = await v1('meter-commit-stream-1', { stream: true, stream_options: { include_usage: true } })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('data: [DONE]')
    const { calls, debits, holds, progress } = await written('meter-commit-stream-1')
    expect(calls).toHaveLength(1)
    expect(debits).toHaveLength(1)
    expect(calls[0]!.createdAt).toEqual(debits[0]!.createdAt)
    expect(holds[0]).toMatchObject({ status: 'settled', charged: calls[0]!.charged })
    expect(progress).toEqual([])
  })

  it('answer the same request id again from the stored completion, with no second row nor debit', async () => {
    const first = await v1('meter-commit-replay')
    const again = await v1('meter-commit-replay')
    expect(again.headers['x-request-replayed']).toBe('true')
    expect(again.json().id).toBe(first.json().id)
    const { calls, debits } = await written('meter-commit-replay')
    expect({ calls: calls.length, debits: debits.length }).toEqual({ calls: 1, debits: 1 })
  })
})
