import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { json, readBody, split } from './http-kit.ts'

/** A loopback server speaking Anthropic's Messages API (JSON and `stream: true` named SSE events), scripted per test. */
export type FakeAnthropicOptions = {
  text?: string
  chunks?: number
  firstTokenDelayMs?: number
  chunkDelayMs?: number
  usage?: { input_tokens: number; output_tokens: number }
  /** When set, any other `x-api-key` gets Anthropic's 401 `authentication_error`. */
  apiKey?: string
  /** Fail the first `times` requests (every request when omitted) with Anthropic's error body for the status. */
  fail?: { status: 400 | 401 | 429 | 500 | 529; times?: number; retryAfter?: string }
}

export type RecordedRequest = {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: Record<string, unknown> | undefined
}

const ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
}

export const startFakeAnthropic = async (options: FakeAnthropicOptions = {}) => {
  const requests: RecordedRequest[] = []
  const text = options.text ?? 'Hello from the fake Anthropic upstream.'
  const usage = options.usage ?? { input_tokens: 21, output_tokens: 9 }
  let count = 0

  const failure = (req: IncomingMessage): { status: number; headers: Record<string, string> } | undefined => {
    if (options.apiKey !== undefined && req.headers['x-api-key'] !== options.apiKey) return { status: 401, headers: {} }
    const fail = options.fail
    if (!fail || (fail.times !== undefined && count > fail.times)) return undefined
    return { status: fail.status, headers: fail.retryAfter ? { 'retry-after': fail.retryAfter } : {} }
  }

  const stream = async (res: ServerResponse, body: Record<string, unknown>) => {
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...(data as object) })}\n\n`)
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    send('message_start', {
      message: {
        id: `msg_fake_${count}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    })
    await sleep(options.firstTokenDelayMs ?? 0)
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    send('ping', {})
    for (const [i, piece] of split(text, options.chunks ?? 3).entries()) {
      if (i > 0) await sleep(options.chunkDelayMs ?? 0)
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } })
    }
    send('content_block_stop', { index: 0 })
    send('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    })
    send('message_stop', {})
    res.end()
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const body = await readBody(req)
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body })
    if (req.method !== 'POST' || path !== '/v1/messages' || !body) {
      return json(res, 404, {
        type: 'error',
        error: { type: 'not_found_error', message: `Unknown request ${req.method} ${path}` },
      })
    }
    count += 1
    const failed = failure(req)
    if (failed) return json(res, failed.status, { type: 'error', error: ERRORS[failed.status] }, failed.headers)
    if (body.stream) return stream(res, body)
    await sleep(options.firstTokenDelayMs ?? 0)
    return json(res, 200, {
      id: `msg_fake_${count}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage,
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
export type FakeAnthropic = Awaited<ReturnType<typeof startFakeAnthropic>>
