import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * bench/gateway's upstream: a standalone OpenAI-compatible `POST /v1/chat/completions` (JSON and `stream: true`
 * SSE, OpenAI's wire format) with a scripted model speed, started as a child process on `PORT`.
 *
 * - `TTFT_MS` (default 20): time to first token, before the JSON answer or the first SSE chunk.
 * - `TOKENS` (default 50): tokens in the answer; one SSE chunk per token when streaming.
 * - `TOKEN_INTERVAL_MS` (default 0): pause between streamed chunks (0: written back to back); a request whose
 *   messages start with a system message `[interval N ms]` pauses N ms instead (bench/gateway's concurrent streams:
 *   the marker travels through any gateway, being part of the prompt).
 *
 * Prints `ready` once listening. Wire format copied from test/fakes/openai-upstream.ts (bench never imports tests).
 */
const PORT = Number(process.env.PORT ?? 0)
const TTFT_MS = Number(process.env.TTFT_MS ?? 20)
const TOKENS = Math.max(1, Number(process.env.TOKENS ?? 50))
const TOKEN_INTERVAL_MS = Number(process.env.TOKEN_INTERVAL_MS ?? 0)

const pieces = Array.from({ length: TOKENS }, (_, i) => (i === 0 ? 'Token' : ` token${i}`))
const text = pieces.join('')
let completions = 0

const readBody = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  try {
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

/** Rough prompt size (≈ 4 characters a token), reported so the gateway never has to count. */
const usageOf = (body: Record<string, unknown>) => {
  const prompt_tokens = Math.max(1, Math.ceil(JSON.stringify(body.messages ?? []).length / 4))
  return { prompt_tokens, completion_tokens: TOKENS, total_tokens: prompt_tokens + TOKENS }
}

const complete = async (res: ServerResponse, body: Record<string, unknown>, id: string) => {
  await sleep(TTFT_MS)
  json(res, 200, {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [
      { index: 0, logprobs: null, finish_reason: 'stop', message: { role: 'assistant', content: text, refusal: null } },
    ],
    usage: usageOf(body),
  })
}

/** The request's own pause between chunks (`[interval N ms]` as its first message), else TOKEN_INTERVAL_MS. */
const intervalOf = (body: Record<string, unknown>) => {
  const first = (body.messages as Array<{ content?: unknown }> | undefined)?.[0]?.content
  const m = typeof first === 'string' ? /^\[interval (\d+) ms\]$/.exec(first) : null
  return m ? Number(m[1]) : TOKEN_INTERVAL_MS
}

const stream = async (res: ServerResponse, body: Record<string, unknown>, id: string) => {
  const interval = intervalOf(body)
  const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model }
  const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`)
  const choice = (delta: unknown, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })
  let closed = false
  res.on('close', () => {
    closed = true
  })
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  await sleep(TTFT_MS)
  send(choice({ role: 'assistant', content: '', refusal: null }))
  for (const [i, piece] of pieces.entries()) {
    if (closed) return
    if (i > 0 && interval > 0) await sleep(interval)
    send(choice({ content: piece }))
  }
  send(choice({}, 'stop'))
  const streamOptions = body.stream_options as { include_usage?: boolean } | null | undefined
  if (streamOptions?.include_usage) send({ ...base, choices: [], usage: usageOf(body) })
  res.end('data: [DONE]\n\n')
}

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://fake').pathname
  const body = await readBody(req)
  if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions') || !body) {
    return json(res, 404, {
      error: {
        message: `Unknown request ${req.method} ${path}`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    })
  }
  completions += 1
  const id = `chatcmpl-bench-${completions}`
  return body.stream ? stream(res, body, id) : complete(res, body, id)
})
server.keepAliveTimeout = 65_000
server.listen(PORT, '127.0.0.1', () => console.log('ready'))

const stop = () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
