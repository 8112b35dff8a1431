import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'

/**
 * Metering keeps a workspace's plan and throttle settings a few seconds per process (configuration only: counters,
 * caps and balances are always read). What that must not change: an upgrade is never late, and limits changed
 * through this process apply to the very next call.
 */
let ctx: TestContext
let fake: FakeOpenAI

beforeAll(async () => {
  fake = await startFakeOpenAI({ text: 'Short answer.', chunks: 2, usage: { prompt_tokens: 20, completion_tokens: 3 } })
  ctx = await createTestContext({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.url })
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

const setup = async (label: string) => {
  const o = await onboard(ctx.app, label)
  const { token } = await createToken(ctx.app, o.user)
  const v1 = (model: string) =>
    call(
      ctx.app,
      'POST',
      '/v1/chat/completions',
      { token, headers: { 'x-workspace-id': o.workspaceId } },
      { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 50 },
    )
  return { ...o, v1 }
}

describe('cached plan and throttle settings', () => {
  it('lets an upgraded workspace use an advanced model on its next call, though its Free plan was just read', async () => {
    const o = await setup('upgraded')
    expect((await o.v1('gpt-4o-mini')).statusCode).toBe(200)
    const refused = await o.v1('openai:gpt-4.1')
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('model.not_in_plan')
    // What a subscription change writes; no cache is told about it.
    await ctx.container.db.updateTable('workspaces').set({ plan: 'pro' }).where('id', '=', o.workspaceId).execute()
    expect((await o.v1('openai:gpt-4.1')).statusCode).toBe(200)
  })

  it('applies a requests-per-minute limit changed through the API to the very next call', async () => {
    const o = await setup('lowered')
    expect((await o.v1('gpt-4o-mini')).statusCode).toBe(200)
    const patch = await call(
      ctx.app,
      'PATCH',
      '/api/credits/limits',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { requestsPerMinuteUser: 1 },
    )
    expect(patch.statusCode).toBe(200)
    const res = await o.v1('gpt-4o-mini')
    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('credits.throttled')
  })

  it('still counts every call against the throttle while the settings are cached', async () => {
    const o = await setup('counted')
    await call(
      ctx.app,
      'PATCH',
      '/api/credits/limits',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { requestsPerMinuteUser: 3 },
    )
    const codes = []
    for (let i = 0; i < 4; i++) codes.push((await o.v1('gpt-4o-mini')).statusCode)
    expect(codes).toEqual([200, 200, 200, 429])
  })
})
