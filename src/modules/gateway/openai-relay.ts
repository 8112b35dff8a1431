import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { APICallError } from 'ai'
import { EgressError } from '../../platform/egress/egress.ts'
import type { OpenAiEndpoint } from '../models/models.module.ts'

/**
 * The wire to an OpenAI-format upstream (`POST {baseURL}/chat/completions`): the request goes out as JSON, the answer
 * comes back as bytes read incrementally, with no web streams and no per-chunk schema validation in between. Calls to
 * an address the operator configured go through keep-alive pools (one per scheme; Node's agent keeps one pool per
 * host:port); an address a workspace chose goes through the endpoint's own `fetch` (the egress guard), never pooled.
 *
 * Failures are thrown as the AI SDK would have thrown them (`APICallError` with status, headers and body; a network
 * failure as a retryable `APICallError` without status; the guard's refusal as its `EgressError`), so
 * `ModelSet.describeError` words them exactly as before.
 */

/** As undici's fetch (what the AI SDK called through): an upstream silent this long is given up on. */
const IDLE_TIMEOUT_MS = 300_000
/** The AI SDK's retry policy, kept: 2 retries on 429/5xx/network failures before any output, 2 s then 4 s apart. */
export const MAX_RETRIES = 2
const INITIAL_DELAY_MS = 2_000
/** What is kept of an error body (the message shown is cut much shorter by describeError). */
const ERROR_BODY_BYTES = 64 * 1024

const poolOptions = { keepAlive: true, scheduling: 'lifo' as const, maxFreeSockets: 256 }
const pools = { 'http:': new http.Agent(poolOptions), 'https:': new https.Agent(poolOptions) }

export type UpstreamResponse = {
  status: number
  statusText: string
  headers: Record<string, string>
  body: AsyncIterable<Uint8Array>
  /** Drops the connection (an abandoned body must not go back to the pool half read). */
  discard(): void
}

const flatHeaders = (headers: http.IncomingHttpHeaders) => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  return out
}

const viaPool = (url: URL, headers: Record<string, string>, payload: Buffer, signal?: AbortSignal, fresh = false) =>
  new Promise<UpstreamResponse>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(payload.length) },
      // `fresh`: a connection of its own (the pool's idle ones may all have been closed by the upstream at once).
      agent: fresh ? false : url.protocol === 'https:' ? pools['https:'] : pools['http:'],
      signal,
      timeout: IDLE_TIMEOUT_MS,
    })
    req.on('response', (res) =>
      resolve({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: flatHeaders(res.headers),
        body: res,
        discard: () => res.destroy(),
      }),
    )
    // Also after the response: a socket cut mid-body errors the response (read by the caller) and the request.
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        // A pooled connection the upstream closed while idle, just as we reused it: the request never got there.
        req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')
          ? Object.assign(err, { staleSocket: true })
          : err,
      ),
    )
    req.on('timeout', () => req.destroy(new Error(`No data from the upstream for ${IDLE_TIMEOUT_MS / 1000} s`)))
    req.end(payload)
  })

const viaFetch = async (
  fetch: NonNullable<OpenAiEndpoint['fetch']>,
  url: URL,
  headers: Record<string, string>,
  payload: Buffer,
  signal?: AbortSignal,
): Promise<UpstreamResponse> => {
  const res = await fetch(url.href, { method: 'POST', headers, body: payload.toString('utf8'), signal })
  const body = res.body
  return {
    status: res.status,
    statusText: res.statusText,
    headers: Object.fromEntries(res.headers),
    body: (body ?? []) as AsyncIterable<Uint8Array>,
    discard: () => void body?.cancel().catch(() => undefined),
  }
}

const isAbort = (err: unknown, signal?: AbortSignal) =>
  signal?.aborted || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'))

/** As the AI SDK's fetch handling: no HTTP answer at all is a retryable call error without status. */
const networkFailure = (err: unknown, url: URL, signal?: AbortSignal) => {
  if (isAbort(err, signal)) return err
  // The guard refused the address: its own error, not retried (describeError says it is ours, not the provider's).
  if (err instanceof EgressError) return err
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
  return new APICallError({
    message: `Cannot connect to API: ${cause instanceof Error ? cause.message : String(cause)}`,
    url: url.href,
    requestBodyValues: undefined,
    cause: err,
    isRetryable: true,
  })
}

/** Reads a whole body into one buffer; `limit` cuts it (the rest is dropped with the connection). */
export const readAll = async (res: UpstreamResponse, limit = Infinity) => {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const part of res.body) {
    parts.push(part)
    size += part.length
    if (size >= limit) {
      res.discard()
      break
    }
  }
  return Buffer.concat(parts)
}

const retryableStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500

/** An HTTP error answer as the AI SDK's OpenAI providers report it: the body's `error.message`, else the status text. */
const statusFailure = async (res: UpstreamResponse, url: URL) => {
  let body = ''
  try {
    body = (await readAll(res, ERROR_BODY_BYTES)).toString('utf8')
  } catch {
    // A cut error body still leaves the status to go by.
  }
  let message = res.statusText || `HTTP ${res.status}`
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } }
    if (typeof parsed?.error?.message === 'string') message = parsed.error.message
  } catch {
    // Not JSON: the status text stands.
  }
  return new APICallError({
    message,
    url: url.href,
    requestBodyValues: undefined,
    statusCode: res.status,
    responseHeaders: res.headers,
    responseBody: body,
    isRetryable: retryableStatus(res.status),
  })
}

/** The AI SDK's delay before a retry: the upstream's retry-after(-ms) when within a minute, else 2 s, 4 s. */
const retryDelayMs = (err: unknown, attempt: number) => {
  const backoff = INITIAL_DELAY_MS * 2 ** attempt
  const headers = APICallError.isInstance(err) ? err.responseHeaders : undefined
  if (!headers) return backoff
  let ms: number | undefined
  if (headers['retry-after-ms'] && !Number.isNaN(parseFloat(headers['retry-after-ms'])))
    ms = parseFloat(headers['retry-after-ms'])
  const retryAfter = headers['retry-after']
  if (retryAfter && ms === undefined) {
    const seconds = parseFloat(retryAfter)
    ms = Number.isNaN(seconds) ? Date.parse(retryAfter) - Date.now() : seconds * 1000
  }
  return ms !== undefined && !Number.isNaN(ms) && ms >= 0 && (ms < 60_000 || ms < backoff) ? ms : backoff
}

/**
 * Sends the request and resolves with a 2xx response whose body is unread. A 429, a 5xx or no answer at all is
 * retried up to `MAX_RETRIES` times (nothing has reached the caller yet); any other failure is thrown at once.
 */
export const postChatCompletions = async (
  endpoint: OpenAiEndpoint,
  request: Record<string, unknown>,
  { signal, stream }: { signal?: AbortSignal; stream: boolean },
): Promise<UpstreamResponse> => {
  const url = new URL(endpoint.url)
  const payload = Buffer.from(JSON.stringify(request))
  const headers = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...endpoint.headers(),
  }
  let staleRetried = false
  for (let attempt = 0; ; attempt++) {
    let failure: unknown
    try {
      const res = endpoint.fetch
        ? await viaFetch(endpoint.fetch, url, headers, payload, signal)
        : await viaPool(url, headers, payload, signal, staleRetried)
      if (res.status >= 200 && res.status < 300) return res
      failure = await statusFailure(res, url)
    } catch (err) {
      // Sent again at once on a fresh connection, as a new connection would have been used anyway (not an attempt).
      if ((err as { staleSocket?: boolean }).staleSocket && !staleRetried && !signal?.aborted) {
        staleRetried = true
        attempt--
        continue
      }
      failure = networkFailure(err, url, signal)
    }
    const retryable = APICallError.isInstance(failure) && failure.isRetryable
    if (!retryable || attempt >= MAX_RETRIES || signal?.aborted) throw failure
    await sleep(retryDelayMs(failure, attempt), undefined, signal ? { signal } : undefined)
  }
}

/**
 * The `data:` payloads of a server-sent event stream, in order, as they arrive; ends at `data: [DONE]` (or when the
 * body ends). Events are split on blank lines; comments and other fields are skipped.
 */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffer = ''
  let done = false
  for await (const bytes of body) {
    // After [DONE] the rest of the body (its end) is read, not dropped: the connection goes back to the pool.
    if (done) continue
    buffer += decoder.decode(bytes, { stream: true })
    if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n')
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = eventData(block)
      if (data === undefined) continue
      if (data === '[DONE]') {
        done = true
        break
      }
      yield data
    }
  }
  if (done) return
  const rest = eventData(buffer + decoder.decode())
  if (rest !== undefined && rest !== '[DONE]') yield rest
}

const eventData = (block: string) => {
  if (block.startsWith('data:') && !block.includes('\n')) return block.slice(block[5] === ' ' ? 6 : 5)
  let data: string | undefined
  for (const line of block.split('\n')) {
    if (!line.startsWith('data:')) continue
    const value = line.slice(line[5] === ' ' ? 6 : 5)
    data = data === undefined ? value : `${data}\n${value}`
  }
  return data
}

/** The error an upstream sends inside a stream (`data: {"error": {...}}`), thrown as describeError can word it. */
export const streamError = (error: unknown) => {
  const message =
    typeof (error as { message?: unknown })?.message === 'string'
      ? (error as { message: string }).message
      : JSON.stringify(error)
  return new Error(message)
}
