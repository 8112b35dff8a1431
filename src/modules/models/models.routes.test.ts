import Fastify from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerErrorHandler } from '../../platform/http/error-handler.ts'
import { createModelsModule, OFFLINE_MODEL_ID } from './models.module.ts'

// The route alone on a bare Fastify: who is signed in comes from a test header instead of a session.
const app = Fastify()
beforeAll(async () => {
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.decorateRequest('auth', null)
  app.addHook('onRequest', async (req) => {
    const user = req.headers['x-test-user']
    req.auth = typeof user === 'string' ? { userId: user, via: 'token', tokenId: 'tok_test' } : null
  })
  registerErrorHandler(app)
  await app.register(createModelsModule({ openai: { apiKey: 'sk-secret-never-listed' }, offlineChunkDelayMs: 0 }).routes)
  await app.ready()
})
afterAll(() => app.close())

describe('GET /api/models', () => {
  it('lists the configured models and the offline model to a signed-in caller', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/models', headers: { 'x-test-user': 'usr_1' } })

    expect(res.statusCode).toBe(200)
    const { items } = res.json<{ items: Array<{ id: string }> }>()
    expect(items.map((i) => i.id)).toEqual(['openai:gpt-4o-mini', 'openai:gpt-4.1-mini', 'openai:gpt-4.1', 'openai:gpt-4o', OFFLINE_MODEL_ID])
    expect(items[0]).toEqual({
      id: 'openai:gpt-4o-mini', provider: 'openai', modelId: 'gpt-4o-mini', label: 'GPT-4o mini', contextWindow: 128_000,
      maxOutputTokens: 16_384, pricePerMillion: { input: 0.15, output: 0.6, cachedInput: 0.075 }, tier: 'standard', offline: false,
    })
    expect(res.body).not.toContain('sk-secret')
  })

  it('refuses an anonymous caller with 401', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/models' })

    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: { code: 'auth.unauthenticated' } })
  })
})
