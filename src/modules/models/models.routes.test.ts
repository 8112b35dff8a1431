import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, signup, type TestContext } from '../../../test/harness.ts'
import { OFFLINE_MODEL_ID } from './models.module.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext({ OPENAI_API_KEY: 'sk-secret-never-listed' })
})
afterAll(async () => {
  await ctx.close()
})

describe('GET /api/models', () => {
  it('lists the configured models and the offline model to a signed-in caller', async () => {
    const user = await signup(ctx.app, 'models')
    const res = await call(ctx.app, 'GET', '/api/models', { cookie: user.cookie })

    expect(res.statusCode).toBe(200)
    const { items } = res.json<{ items: Array<{ id: string }> }>()
    expect(items.map((i) => i.id)).toEqual([
      'openai:gpt-4o-mini',
      'openai:gpt-4.1-mini',
      'openai:gpt-4.1',
      'openai:gpt-4o',
      OFFLINE_MODEL_ID,
    ])
    expect(items[0]).toEqual({
      id: 'openai:gpt-4o-mini',
      provider: 'openai',
      modelId: 'gpt-4o-mini',
      label: 'GPT-4o mini',
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      pricePerMillion: { input: 0.15, output: 0.6, cachedInput: 0.075 },
      tier: 'standard',
      offline: false,
    })
    expect(res.body).not.toContain('sk-secret')
  })

  it('refuses an anonymous caller with 401', async () => {
    const res = await call(ctx.app, 'GET', '/api/models')

    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: { code: 'auth.unauthenticated' } })
  })
})
