import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { TestContext } from '../harness.ts'

// The real tokenizer, watched: what it is handed is the work a request costs on the event loop.
const tokenizer = vi.hoisted(() => ({ inputs: [] as string[] }))
vi.mock('gpt-tokenizer', async (original) => {
  const real = await original<typeof import('gpt-tokenizer')>()
  return {
    ...real,
    encode: (text: string) => {
      tokenizer.inputs.push(text)
      return real.encode(text)
    },
  }
})

const longestRun = (text: string) => Math.max(0, ...text.split(/\s+/).map((w) => w.length))
const handedToTokenizer = async (run: () => Promise<unknown>) => {
  tokenizer.inputs.length = 0
  await run()
  // The mock must be the tokenizer the app called: otherwise the figures below would be zero and prove nothing.
  expect(tokenizer.inputs.length).toBeGreaterThan(0)
  return {
    longest: Math.max(0, ...tokenizer.inputs.map((s) => s.length)),
    longestRun: Math.max(0, ...tokenizer.inputs.map(longestRun)),
  }
}

let ctx: TestContext
let as: { token: string; workspaceId: string; origin: null }
let browser: { cookie: string; headers: Record<string, string> }
let conversationId: string
let call: (typeof import('../harness.ts'))['call']
beforeAll(async () => {
  // A worker runs its files in one module graph (vitest `isolate: false`): the app may already be loaded with the real
  // tokenizer. Loaded again here, it gets this file's mock; dropped again after, the next file loads it without.
  vi.resetModules()
  const h = await import('../harness.ts')
  call = h.call
  const { createTestContext, onboard, createToken } = h
  ctx = await createTestContext()
  const o = await onboard(ctx.app, 'hostile')
  as = { token: (await createToken(ctx.app, o.user)).token, workspaceId: o.workspaceId, origin: null }
  browser = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
  conversationId = (
    await call(ctx.app, 'POST', '/api/chat/conversations', browser, { agentId: 'builtin.copywriter' })
  ).json().id
})
afterAll(async () => {
  await ctx.close()
  vi.resetModules()
})

const v1 = (content: unknown, extra: Record<string, unknown> = {}) =>
  call(ctx.app, 'POST', '/v1/chat/completions', as, {
    model: 'offline:camarad-offline',
    messages: [{ role: 'user', content }],
    ...extra,
  })

describe('hostile input is bounded by size caps', () => {
  it('estimates a draft of one 32 000-character word handing the tokenizer at most 16 KB, in runs of 128', async () => {
    let res
    const seen = await handedToTokenizer(async () => {
      res = await call(ctx.app, 'POST', '/api/credits/estimate', browser, {
        content: 'a'.repeat(32_000),
        conversationId,
      })
    })
    expect(res!.statusCode).toBe(200)
    expect(seen.longest).toBeLessThanOrEqual(16_384)
    expect(seen.longestRun).toBeLessThanOrEqual(128)
  })

  it('refuses a draft longer than a message may be from the estimate endpoint', async () => {
    const res = await call(ctx.app, 'POST', '/api/credits/estimate', browser, {
      content: 'a'.repeat(200_000),
      conversationId,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('request.invalid')
  })

  it('answers a /v1 request carrying a 200 000-character word handing the tokenizer at most 16 KB', async () => {
    let res
    const seen = await handedToTokenizer(async () => {
      res = await v1('a'.repeat(200_000))
    })
    expect(res!.statusCode).toBe(200)
    expect(seen.longest).toBeLessThanOrEqual(16_384)
    expect(seen.longestRun).toBeLessThanOrEqual(128)
  })

  it('refuses /v1 content past 400 000 characters with 413 gateway.content_too_large', async () => {
    const res = await call(ctx.app, 'POST', '/v1/chat/completions', as, {
      model: 'offline:camarad-offline',
      messages: [
        { role: 'system', content: 'b '.repeat(150_000) },
        { role: 'user', content: 'c '.repeat(60_000) },
      ],
    })
    expect(res.statusCode).toBe(413)
    expect(res.json().error).toMatchObject({
      code: 'gateway.content_too_large',
      details: { chars: 420_000, maxChars: 400_000 },
    })
  })

  it('refuses JSON nested 10 000 deep on /v1 with 400 request.invalid from the platform input guard, not a crash', async () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)
    for (const payload of [
      `{"model":"offline:camarad-offline","messages":[{"role":"user","content":"hi","x":${deep}}]}`,
      `{"model":"offline:camarad-offline","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function",` +
        `"function":{"name":"f","parameters":${deep}}}]}`,
      `{"model":"offline:camarad-offline","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload,
        headers: {
          authorization: `Bearer ${as.token}`,
          'x-workspace-id': as.workspaceId,
          'content-type': 'application/json',
        },
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
    }
  })

  it('still answers a /v1 request with an ordinary tool schema', async () => {
    const res = await v1('hi', {
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            parameters: {
              type: 'object',
              properties: { q: { type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } } },
            },
          },
        },
      ],
    })
    expect(res.statusCode).toBe(200)
  })
})
