import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { json, readBody, split } from './http-kit.ts'

/**
 * A loopback server speaking OpenAI's Chat Completions wire format (JSON and `stream: true` SSE),
 * scripted per test. Also serves any OpenAI-compatible client (Ollama, vLLM, Groq's /openai/v1).
 */
export type FakeOpenAIOptions = {
  /** The answer text, split into `chunks` SSE deltas when streaming. */
  text?: string
  /** Answers each completion from its request body (over `text`): a model whose answer depends on what it was sent. */
  reply?: (body: Record<string, unknown>) => string | undefined
  chunks?: number
  firstTokenDelayMs?: number
  chunkDelayMs?: number
  usage?: { prompt_tokens: number; completion_tokens: number }
  /** When set, any other Bearer key gets OpenAI's 401 `invalid_api_key`. */
  apiKey?: string
  /**
   * Fail the first `times` requests (every request when omitted) with OpenAI's error body for the status.
   * `retryAfter` / `retryAfterMs` set `retry-after` and the millisecond `retry-after-ms` that OpenAI-style APIs
   * (Azure OpenAI among them) send; the AI SDK honours both. `message` replaces OpenAI's error message for the status.
   */
  fail?: {
    status: 400 | 401 | 429 | 500 | 503
    times?: number
    retryAfter?: string
    retryAfterMs?: string
    message?: string
  }
  toolCalls?: Array<{ id: string; name: string; arguments: string }>
  /** Rounds of `toolCalls` before the answer (1 by default): a model that keeps calling tools for several steps. */
  toolRounds?: number
  /** Scripts the tool calls per request (over `toolCalls`): e.g. only when the user asks a given question. */
  toolCallsFor?: (body: Record<string, unknown>) => Array<{ id: string; name: string; arguments: string }>
  /** Streams only this many text pieces, then drops the connection (no finish, no [DONE]): a stream cut mid-way. */
  cutAfterChunks?: number
  models?: string[]
  /** Words that mean the same to `/v1/embeddings` (each group one concept), over `EMBEDDING_SYNONYMS`. */
  synonyms?: string[][]
}

export type RecordedRequest = {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: Record<string, unknown> | undefined
}

/**
 * The fake's idea of meaning: words of one group embed as one concept, so "banquet fee" lands near "catering … lei"
 * without a word in common. Everything else is its own concept.
 */
export const EMBEDDING_SYNONYMS: string[][] = [
  ['price', 'prices', 'cost', 'costs', 'fee', 'fees', 'tariff', 'charge', 'lei', 'ron', 'pret', 'preț'],
  ['catering', 'banquet', 'banquets', 'feast', 'reception', 'events', 'event'],
  ['guest', 'guests', 'attendee', 'attendees', 'person', 'head'],
  ['delivery', 'deliver', 'shipping', 'ship', 'courier'],
]

/**
 * A deterministic embedding: a hashed bag of concepts (`synonyms`), L2-normalised. Texts sharing concepts are near
 * (cosine similarity = their overlap), texts sharing none are orthogonal but for rare hash collisions.
 */
export const fakeEmbedding = (text: string, dims = 1536, synonyms: string[][] = EMBEDDING_SYNONYMS) => {
  const concept = new Map(synonyms.flatMap((group) => group.map((w) => [w, group[0]!] as const)))
  const v = new Array<number>(dims).fill(0)
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = createHash('sha256')
      .update(concept.get(word) ?? word)
      .digest()
    v[h.readUInt32BE(0) % dims]! += h[4]! & 1 ? 1 : -1
  }
  const norm = Math.hypot(...v) || 1
  return v.map((x) => x / norm)
}

const ERRORS: Record<number, { message: string; type: string; code: string | null; param?: string }> = {
  400: {
    message:
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
    param: 'messages',
  },
  401: {
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  429: {
    message: 'Rate limit reached for requests. Please try again in 1s.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
}

export const startFakeOpenAI = async (options: FakeOpenAIOptions = {}) => {
  const requests: RecordedRequest[] = []
  const fixed = options.text ?? 'Hello from the fake upstream.'
  const textFor = (body: Record<string, unknown>) => options.reply?.(body) ?? fixed
  const usage = options.usage ?? { prompt_tokens: 11, completion_tokens: 7 }
  const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }
  // Like a real model, it calls its tools (for `toolRounds` rounds) and then answers in text.
  const toolCallsFor = (body: Record<string, unknown>) => {
    // A request that offers no tools (a boardroom turn) gets none called, as from a real model.
    if (!Array.isArray(body.tools) || body.tools.length === 0) return []
    const messages = body.messages as { role: string; tool_calls?: unknown[] }[] | undefined
    const rounds = messages?.filter((m) => m.role === 'assistant' && m.tool_calls?.length).length ?? 0
    if (messages?.at(-1)?.role === 'tool' && rounds >= (options.toolRounds ?? 1)) return []
    return (options.toolCallsFor?.(body) ?? options.toolCalls ?? []).map((t) =>
      rounds ? { ...t, id: `${t.id}_${rounds + 1}` } : t,
    )
  }
  let completions = 0

  const failure = (req: IncomingMessage) => {
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (options.apiKey !== undefined && key !== options.apiKey) return { status: 401, headers: {}, message: undefined }
    const fail = options.fail
    if (!fail || (fail.times !== undefined && completions > fail.times)) return undefined
    const headers: Record<string, string> = {
      ...(fail.retryAfter ? { 'retry-after': fail.retryAfter } : {}),
      ...(fail.retryAfterMs ? { 'retry-after-ms': fail.retryAfterMs } : {}),
    }
    return { status: fail.status, headers, message: fail.message }
  }

  const completion = (body: Record<string, unknown>) => {
    const calls = toolCallsFor(body)
    return {
      id: `chatcmpl-fake-${completions}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          logprobs: null,
          finish_reason: calls.length ? 'tool_calls' : 'stop',
          message: {
            role: 'assistant',
            content: calls.length ? null : textFor(body),
            refusal: null,
            ...(calls.length
              ? {
                  tool_calls: calls.map((t) => ({
                    id: t.id,
                    type: 'function',
                    function: { name: t.name, arguments: t.arguments },
                  })),
                }
              : {}),
          },
        },
      ],
      usage: fullUsage,
    }
  }

  const stream = async (res: ServerResponse, body: Record<string, unknown>) => {
    const base = {
      id: `chatcmpl-fake-${completions}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
    }
    const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`)
    const choice = (delta: unknown, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    await sleep(options.firstTokenDelayMs ?? 0)
    send(choice({ role: 'assistant', content: '', refusal: null }))
    const calls = toolCallsFor(body)
    const pieces = calls.length ? [] : split(textFor(body), options.chunks ?? 3)
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await sleep(options.chunkDelayMs ?? 0)
      if (i === options.cutAfterChunks) {
        // Let what was written reach the client before the connection drops.
        await sleep(50)
        return void res.socket?.destroy()
      }
      send(choice({ content: piece }))
    }
    for (const [index, call] of calls.entries()) {
      send(
        choice({
          tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
        }),
      )
      for (const args of split(call.arguments, 2))
        send(choice({ tool_calls: [{ index, function: { arguments: args } }] }))
    }
    send(choice({}, calls.length ? 'tool_calls' : 'stop'))
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined
    if (streamOptions?.include_usage) send({ ...base, choices: [], usage: fullUsage })
    res.end('data: [DONE]\n\n')
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const body = await readBody(req)
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body })
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: (options.models ?? ['gpt-4o-mini']).map((id) => ({
          id,
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'fake',
        })),
      })
    }
    if (req.method === 'POST' && (path === '/v1/embeddings' || path === '/embeddings') && body) {
      const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      if (options.apiKey !== undefined && key !== options.apiKey)
        return json(res, 401, { error: { param: null, ...ERRORS[401] } })
      const input = (Array.isArray(body.input) ? body.input : [body.input]).map(String)
      const dims = typeof body.dimensions === 'number' ? body.dimensions : 1536
      const tokens = input.reduce((n, t) => n + (t.match(/[\p{L}\p{N}]+/gu)?.length ?? 0), 0)
      return json(res, 200, {
        object: 'list',
        data: input.map((text, index) => ({
          object: 'embedding',
          index,
          embedding: fakeEmbedding(text, dims, [...EMBEDDING_SYNONYMS, ...(options.synonyms ?? [])]),
        })),
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      })
    }
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions') || !body) {
      return json(res, 404, {
        error: { message: `Unknown request ${req.method} ${path}`, type: 'invalid_request_error', code: 'unknown_url' },
      })
    }
    completions += 1
    const failed = failure(req)
    if (failed)
      return json(
        res,
        failed.status,
        { error: { param: null, ...ERRORS[failed.status], ...(failed.message ? { message: failed.message } : {}) } },
        failed.headers,
      )
    if (body.stream) return stream(res, body)
    await sleep(options.firstTokenDelayMs ?? 0)
    return json(res, 200, completion(body))
  })
  let connections = 0
  server.on('connection', () => void connections++)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    /** TCP connections accepted so far (a client with a keep-alive pool opens fewer than it sends requests). */
    connections: () => connections,
    /** Only the chat completion calls, in order. */
    completions: () => requests.filter((r) => r.method === 'POST' && !r.path.endsWith('/embeddings')),
    /** Only the embeddings calls, in order. */
    embeddings: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/embeddings')),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
export type FakeOpenAI = Awaited<ReturnType<typeof startFakeOpenAI>>
