import { encode } from 'gpt-tokenizer'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai-upstream.ts'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'

/**
 * `/v1` relays OpenAI-format upstreams (OPENAI_BASE_URL here, a loopback fake speaking Chat Completions): the
 * caller's request goes upstream as sent but for the model id, the output cap and the usage a stream must report;
 * the answer comes back with our id and model, metered from the upstream's usage, over pooled connections.
 */
type Setup = { ctx: TestContext; fake: FakeOpenAI; token: string; workspaceId: string; client: OpenAI }
const setups: Setup[] = []
const setUp = async (options: FakeOpenAIOptions, name: string): Promise<Setup> => {
  const fake = await startFakeOpenAI(options)
  const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-relay-key', OPENAI_BASE_URL: fake.url })
  const owner = await onboard(ctx.app, name)
  const { token } = await createToken(ctx.app, owner.user)
  const client = new OpenAI({
    apiKey: token,
    baseURL: `${await ctx.app.listen({ port: 0, host: '127.0.0.1' })}/v1`,
    maxRetries: 0,
  })
  const setup = { ctx, fake, token, workspaceId: owner.workspaceId, client }
  setups.push(setup)
  return setup
}
afterAll(async () => {
  for (const s of setups) {
    await s.ctx.close()
    await s.fake.close()
  }
})

/** Each of these starts its own server and upstream inside the test: more than the default on a loaded machine. */
const SLOW = 90_000

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}
const lastUpstreamBody = (fake: FakeOpenAI) => fake.completions().at(-1)!.body!
const recorded = (s: Setup, requestId: string) =>
  s.ctx.container.db
    .selectFrom('modelCalls')
    .selectAll()
    .where('workspaceId', '=', s.workspaceId)
    .where('requestId', '=', requestId)
    .executeTakeFirstOrThrow()
const debitsOf = (s: Setup, requestId: string) =>
  s.ctx.container.db
    .selectFrom('creditEntries')
    .select('amount')
    .where('workspaceId', '=', s.workspaceId)
    .where('requestId', '=', requestId)
    .where('kind', '=', 'debit')
    .execute()

describe('/v1 relaying an OpenAI-format upstream', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp(
      {
        text: 'Sunny in Rome, 24 degrees.',
        chunks: 4,
        usage: { prompt_tokens: 120, completion_tokens: 9 },
        toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: '{"city":"Rome"}' }],
      },
      'relay',
    )
  })

  it('passes the request through with the provider model id and our output cap, and answers the tool calls', async () => {
    const res = await s.client.chat.completions.create({
      model: 'openai:gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Rome?' },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      response_format: { type: 'json_object' },
      seed: 7,
      max_tokens: 1_000_000,
    })
    expect(res.id).toMatch(/^chatcmpl-/)
    expect(res.id).not.toContain('fake')
    expect(res.model).toBe('openai:gpt-4o-mini')
    expect(res.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [
          { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
    })
    expect(res.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 9, total_tokens: 129 })
    const sent = lastUpstreamBody(s.fake)
    expect(sent).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Rome?' },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      response_format: { type: 'json_object' },
      seed: 7,
      // gpt-4o-mini's own limit, not the million asked for.
      max_completion_tokens: 16_384,
    })
    expect(sent).not.toHaveProperty('max_tokens')
    expect(sent).not.toHaveProperty('stream')

    await s.client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 50,
    })
    expect(lastUpstreamBody(s.fake)).toMatchObject({ max_completion_tokens: 50 })
  })

  it('streams tool-call deltas as the upstream sent them, and records the merged calls', async () => {
    const stream = await s.client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] },
      { headers: { 'X-Request-ID': 'relay-tools-stream-1' } },
    )
    const ids = new Set<string>()
    const pieces: string[] = []
    let finish: string | null = null
    for await (const chunk of stream) {
      ids.add(chunk.id)
      expect(chunk.model).toBe('openai:gpt-4o-mini')
      for (const t of chunk.choices[0]?.delta.tool_calls ?? []) pieces.push(t.function?.arguments ?? '')
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(ids.size).toBe(1)
    expect([...ids][0]).toMatch(/^chatcmpl-/)
    // The fake sends the arguments in two deltas after the one naming the call.
    expect(pieces.filter(Boolean).length).toBe(2)
    expect(pieces.join('')).toBe('{"city":"Rome"}')
    expect(finish).toBe('tool_calls')
    expect(await recorded(s, 'relay-tools-stream-1')).toMatchObject({
      status: 'complete',
      inputTokens: 120,
      outputTokens: 9,
    })
    // Stored merged: the same request id again replays the whole call in one delta, and calls nothing upstream.
    const upstreamCalls = s.fake.completions().length
    const again = await call(
      s.ctx.app,
      'POST',
      '/v1/chat/completions',
      { token: s.token, headers: { 'x-request-id': 'relay-tools-stream-1' } },
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] },
    )
    expect(again.headers['x-request-replayed']).toBe('true')
    expect(s.fake.completions()).toHaveLength(upstreamCalls)
    const replayed = again.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { tool_calls?: unknown[] } }[] })
      .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    expect(replayed).toEqual([
      { index: 0, id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ])
  })

  it('replays a request id with the completion exactly as first answered (keys as OpenAI spells them)', async () => {
    const ask = () =>
      call(
        s.ctx.app,
        'POST',
        '/v1/chat/completions',
        { token: s.token, headers: { 'x-request-id': 'relay-replay-1' } },
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] },
      )
    const first = await ask()
    const again = await ask()
    expect(again.headers['x-request-replayed']).toBe('true')
    expect(first.json().choices[0]).toMatchObject({ finish_reason: 'tool_calls' })
    expect(first.json().usage).toMatchObject({ prompt_tokens: 120, prompt_tokens_details: { cached_tokens: 0 } })
    expect(again.json()).toEqual(first.json())
  })

  it('always asks a stream for its usage, but sends the usage chunk only to a caller who asked', async () => {
    const streamOf = async (requestId: string, includeUsage?: boolean) => {
      const res = await call(
        s.ctx.app,
        'POST',
        '/v1/chat/completions',
        { token: s.token, headers: { 'x-request-id': requestId } },
        {
          model: 'gpt-4o-mini',
          stream: true,
          ...(includeUsage === undefined ? {} : { stream_options: { include_usage: includeUsage } }),
          messages: [{ role: 'user', content: 'Forecast' }],
        },
      )
      expect(res.statusCode).toBe(200)
      const events = res.body
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => e.slice(6))
      expect(events.at(-1)).toBe('[DONE]')
      return events.slice(0, -1).map((e) => JSON.parse(e) as { choices: unknown[]; usage?: unknown })
    }
    const silent = await streamOf('relay-usage-unasked')
    expect(lastUpstreamBody(s.fake)).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    expect(silent.some((c) => c.usage)).toBe(false)
    expect(silent.every((c) => c.choices.length === 1)).toBe(true)
    const declined = await streamOf('relay-usage-declined', false)
    expect(lastUpstreamBody(s.fake)).toMatchObject({ stream_options: { include_usage: true } })
    expect(declined.some((c) => c.usage)).toBe(false)
    const asked = await streamOf('relay-usage-asked', true)
    expect(asked.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 120, completion_tokens: 9, total_tokens: 129 },
    })
    // Charged from the upstream's usage in all three cases, not from an estimate.
    for (const id of ['relay-usage-unasked', 'relay-usage-declined', 'relay-usage-asked'])
      expect(await recorded(s, id)).toMatchObject({
        status: 'complete',
        inputTokens: 120,
        outputTokens: 9,
        usageEstimated: false,
      })
  })

  it('reuses its connections to the upstream (keep-alive): fewer TCP connections than requests', async () => {
    const before = s.fake.connections()
    const sentBefore = s.fake.completions().length
    for (let i = 0; i < 6; i++)
      await s.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] })
    for (let i = 0; i < 4; i++)
      for await (const _ of await s.client.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: `stream ${i}` }],
      }));
    expect(s.fake.completions().length - sentBefore).toBe(10)
    // Sequential calls: one pooled connection would do; a fresh one each time would be 10.
    expect(s.fake.connections() - before).toBeLessThanOrEqual(2)
  })
})

describe('/v1 relaying: upstream failures', () => {
  it(
    'words an upstream refusal before any output as before: 401 → 502 model.provider_unauthorized, not retried',
    async () => {
      const s = await setUp({ fail: { status: 401 } }, 'relay-401')
      for (const stream of [false, true]) {
        const res = await call(
          s.ctx.app,
          'POST',
          '/v1/chat/completions',
          { token: s.token },
          {
            model: 'gpt-4o-mini',
            stream,
            messages: [{ role: 'user', content: 'hi' }],
          },
        )
        expect(res.statusCode).toBe(502)
        expect(res.json().error.code).toBe('model.provider_unauthorized')
        expect(res.json().error.message).toContain('OPENAI_API_KEY')
        expect(res.body).not.toContain('sk-relay-key')
      }
      expect(s.fake.completions()).toHaveLength(2)
    },
    SLOW,
  )

  it(
    'retries a rate-limited upstream twice, then answers 503 model.provider_rate_limited with its Retry-After',
    async () => {
      const s = await setUp({ fail: { status: 429, retryAfter: '7', retryAfterMs: '20' } }, 'relay-429')
      const res = await call(
        s.ctx.app,
        'POST',
        '/v1/chat/completions',
        { token: s.token, headers: { 'x-request-id': 'relay-429-1' } },
        {
          model: 'gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        },
      )
      expect(res.statusCode).toBe(503)
      expect(res.json().error.code).toBe('model.provider_rate_limited')
      expect(res.headers['retry-after']).toBe('1')
      expect(s.fake.completions()).toHaveLength(3)
      const row = await recorded(s, 'relay-429-1')
      expect(row.status).toBe('failed')
      expect(row.charged ?? 0n).toBe(0n)
    },
    SLOW,
  )

  it(
    'retries a 5xx and answers once the upstream recovers',
    async () => {
      const s = await setUp({ fail: { status: 500, times: 1, retryAfterMs: '10' }, text: 'Recovered.' }, 'relay-500')
      const res = await s.client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      })
      expect(res.choices[0]!.message.content).toBe('Recovered.')
      expect(s.fake.completions()).toHaveLength(2)
    },
    SLOW,
  )

  it(
    'words a context overflow as 400 model.context_too_long, not retried',
    async () => {
      const long = await setUp({ fail: { status: 400 } }, 'relay-400')
      const refused = await call(
        long.ctx.app,
        'POST',
        '/v1/chat/completions',
        { token: long.token },
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'a very long conversation' }],
        },
      )
      expect(refused.statusCode).toBe(400)
      expect(refused.json().error.code).toBe('model.context_too_long')
      expect(long.fake.completions()).toHaveLength(1)
    },
    SLOW,
  )

  it(
    'charges a stream the upstream cut mid-way for what it had sent, once, and says so in an error event',
    async () => {
      const text = 'One two three four five six seven eight nine ten eleven twelve.'
      const s = await setUp(
        { text, chunks: 6, cutAfterChunks: 3, usage: { prompt_tokens: 300, completion_tokens: 40 } },
        'relay-cut',
      )
      const res = await call(
        s.ctx.app,
        'POST',
        '/v1/chat/completions',
        { token: s.token, headers: { 'x-request-id': 'relay-cut-1' } },
        {
          model: 'gpt-4o-mini',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Count to twelve' }],
        },
      )
      expect(res.statusCode).toBe(200)
      const events = res.body
        .split('\n\n')
        .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
        .map(
          (e) => JSON.parse(e.slice(6)) as { choices?: { delta?: { content?: string } }[]; error?: { code: string } },
        )
      const sent = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('')
      expect(sent.length).toBeGreaterThan(0)
      expect(text.startsWith(sent) && sent.length < text.length).toBe(true)
      expect(events.at(-1)?.error?.code).toMatch(/^model\./)
      expect(events.some((e) => 'usage' in e)).toBe(false)
      const row = await recorded(s, 'relay-cut-1')
      // No usage came from the upstream: the output is counted from what was sent.
      expect(row).toMatchObject({ status: 'failed', outputTokens: encode(sent).length, usageEstimated: true })
      expect(row.charged! > 0n).toBe(true)
      expect(await debitsOf(s, 'relay-cut-1')).toEqual([{ amount: -row.charged! }])
    },
    SLOW,
  )
})
