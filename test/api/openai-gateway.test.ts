import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'

const calls = (ctx: TestContext) =>
  ctx.container.db.selectFrom('modelCalls').selectAll().where('surface', '=', 'v1').orderBy('createdAt').execute()

describe('/v1 with the official openai client, on the offline model', () => {
  let ctx: TestContext
  let client: OpenAI
  let owner: Awaited<ReturnType<typeof onboard>>
  let baseURL: string
  beforeAll(async () => {
    ctx = await createTestContext()
    owner = await onboard(ctx.app, 'v1')
    const { token } = await createToken(ctx.app, owner.user)
    baseURL = `${await ctx.app.listen({ port: 0, host: '127.0.0.1' })}/v1`
    client = new OpenAI({ apiKey: token, baseURL, maxRetries: 0 })
  })
  afterAll(async () => {
    await ctx.close()
  })

  it('lists models', async () => {
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toContain('offline:camarad-offline')
  })

  it('answers a non-streaming completion with usage, attributed to the only workspace and recorded with the request id', async () => {
    const res = await client.chat.completions.create(
      {
        model: 'camarad-offline',
        messages: [
          { role: 'system', content: 'You are the Copywriter.' },
          { role: 'user', content: 'Write a headline' },
        ],
      },
      { headers: { 'X-Request-ID': 'req-v1-nonstream-1' } },
    )
    expect(res.object).toBe('chat.completion')
    expect(res.choices[0]!.message.content).toMatch(/offline/i)
    expect(res.choices[0]!.finish_reason).toBe('stop')
    expect(res.usage!.completion_tokens).toBeGreaterThan(0)
    const recorded = (await calls(ctx)).find((c) => c.requestId === 'req-v1-nonstream-1')!
    expect(recorded).toMatchObject({
      workspaceId: owner.workspaceId,
      clientId: null,
      modelId: 'offline:camarad-offline',
      status: 'complete',
      outputTokens: res.usage!.completion_tokens,
    })
  })

  it('streams a completion chunk by chunk, with a usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'offline:camarad-offline',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Plan a campaign' }],
    })
    let text = ''
    let chunks = 0
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      chunks++
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(chunks).toBeGreaterThan(3)
    expect(text).toMatch(/offline/i)
    expect(usage!.completion_tokens).toBeGreaterThan(0)
  })

  it('refuses a session cookie (tokens only) and an unknown model', async () => {
    const res = await call(
      ctx.app,
      'POST',
      '/v1/chat/completions',
      { cookie: owner.user.cookie },
      { model: 'camarad-offline', messages: [{ role: 'user', content: 'hi' }] },
    )
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('gateway.token_required')
    await expect(
      client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 400 })
  })

  it('attributes a call to the client a token is bound to, and refuses binding to a foreign client', async () => {
    const bound = await call(
      ctx.app,
      'POST',
      '/api/tokens',
      { cookie: owner.user.cookie },
      { name: 'bound', clientId: owner.clientId },
    )
    expect(bound.json().apiToken).toMatchObject({ workspaceId: owner.workspaceId, clientId: owner.clientId })
    const boundClient = new OpenAI({ apiKey: bound.json().token, baseURL, maxRetries: 0 })
    await boundClient.chat.completions.create(
      { model: 'camarad-offline', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'X-Request-ID': 'req-v1-bound-1' } },
    )
    expect((await calls(ctx)).find((c) => c.requestId === 'req-v1-bound-1')).toMatchObject({ clientId: owner.clientId })
    const other = await onboard(ctx.app, 'v1-other')
    const foreign = await call(
      ctx.app,
      'POST',
      '/api/tokens',
      { cookie: owner.user.cookie },
      { name: 'nope', clientId: other.clientId },
    )
    expect(foreign.statusCode).toBe(404)
  })

  it('asks for a workspace when the caller has several (400)', async () => {
    await call(ctx.app, 'POST', '/api/workspaces', { cookie: owner.user.cookie }, { name: 'Second agency' })
    const res = await client.chat.completions
      .create({ model: 'camarad-offline', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(res).toMatchObject({ status: 400 })
    const ok = await client.chat.completions.create(
      { model: 'camarad-offline', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'X-Workspace-ID': owner.workspaceId } },
    )
    expect(ok.choices).toHaveLength(1)
  })
})

describe('/v1 through a configured OpenAI-compatible upstream', () => {
  it('a streaming call the upstream refuses is an HTTP error with its status, not an event after a 200', async () => {
    const fake = await startFakeOpenAI({ fail: { status: 401 } })
    const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-bad', OPENAI_BASE_URL: fake.url })
    try {
      const owner = await onboard(ctx.app, 'v1-refused')
      const { token } = await createToken(ctx.app, owner.user)
      const client = new OpenAI({
        apiKey: token,
        baseURL: `${await ctx.app.listen({ port: 0, host: '127.0.0.1' })}/v1`,
        maxRetries: 0,
      })
      const err = await client.chat.completions
        .create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ status: 502 })
      expect(String((err as Error).message)).toContain('OPENAI_API_KEY')
      const recorded = await ctx.container.db
        .selectFrom('modelCalls')
        .select('status')
        .where('surface', '=', 'v1')
        .execute()
      expect(recorded).toEqual([{ status: 'failed' }])
    } finally {
      await ctx.close()
      await fake.close()
    }
  })

  it('passes tools through and returns the upstream tool calls; streams its text', async () => {
    const fake = await startFakeOpenAI({
      text: 'Hello from upstream',
      chunks: 3,
      usage: { prompt_tokens: 50, completion_tokens: 4 },
    })
    const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-up', OPENAI_BASE_URL: fake.url })
    try {
      const owner = await onboard(ctx.app, 'v1-up')
      const { token } = await createToken(ctx.app, owner.user)
      const client = new OpenAI({
        apiKey: token,
        baseURL: `${await ctx.app.listen({ port: 0, host: '127.0.0.1' })}/v1`,
        maxRetries: 0,
      })
      const plain = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      })
      expect(plain.choices[0]!.message.content).toBe('Hello from upstream')
      expect(plain.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 4 })
      let streamed = ''
      for await (const c of await client.chat.completions.create({
        model: 'openai:gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }))
        streamed += c.choices[0]?.delta.content ?? ''
      expect(streamed).toBe('Hello from upstream')
      const upstreamCall = fake.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!
      expect(upstreamCall.headers.authorization).toBe('Bearer sk-up')
    } finally {
      await ctx.close()
      await fake.close()
    }
  })

  it('returns the tool calls the upstream model makes, for the caller to run', async () => {
    const fake = await startFakeOpenAI({
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' }],
    })
    const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-up', OPENAI_BASE_URL: fake.url })
    try {
      const owner = await onboard(ctx.app, 'v1-tools')
      const { token } = await createToken(ctx.app, owner.user)
      const client = new OpenAI({
        apiKey: token,
        baseURL: `${await ctx.app.listen({ port: 0, host: '127.0.0.1' })}/v1`,
        maxRetries: 0,
      })
      const res = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Weather in Rome?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        ],
      })
      expect(res.choices[0]!.finish_reason).toBe('tool_calls')
      expect(res.choices[0]!.message.tool_calls![0]).toMatchObject({
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
      })
      const sent = fake.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!
      expect(JSON.stringify(sent.body)).toContain('get_weather')
    } finally {
      await ctx.close()
      await fake.close()
    }
  })
})
