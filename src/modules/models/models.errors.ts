import { APICallError, RetryError, StreamProviderError } from 'ai'
import { EgressError } from '../../platform/egress/egress.ts'
import { AppError, badRequest } from '../../platform/http/errors.ts'
import { PROVIDERS } from './models.catalog.ts'
import type { CatalogEntry } from './models.types.ts'

export const unknownModel = (id: string) =>
  badRequest(
    'model.unknown',
    `No model "${id.slice(0, 120)}" is available on this server. GET /api/models lists the ones that are.`,
  )

/**
 * `evidence` is everything the provider said (message, body, codes), searched for known failure kinds;
 * `unreachable` is a request that got no HTTP answer at all (refused, reset, DNS).
 */
type Failure = {
  status?: number
  headers: Record<string, string>
  message: string
  evidence: string
  retryable: boolean
  unreachable?: boolean
  refused?: EgressError
}

/**
 * How much of what a provider said is read (patterns below) and shown (the message). Error bodies are remote
 * content of any size: every pattern runs on the first `EVIDENCE_CHARS` only, and a user sees `SHOWN_CHARS` at most.
 */
export const EVIDENCE_CHARS = 4_096
export const SHOWN_CHARS = 200
const failure = (f: Failure): Failure => ({
  ...f,
  message: f.message.slice(0, EVIDENCE_CHARS),
  evidence: f.evidence.slice(0, EVIDENCE_CHARS),
})

/** The provider's own failure under the SDK's wrappers: RetryError keeps the last attempt, others keep a cause. */
const unwrap = (err: unknown, depth = 0): Failure => {
  if (RetryError.isInstance(err) && depth < 5) return unwrap(err.lastError, depth + 1)
  if (err instanceof EgressError)
    return { headers: {}, message: err.message, evidence: '', retryable: false, refused: err }
  if (APICallError.isInstance(err)) {
    const { statusCode: status, responseHeaders: headers = {}, message, isRetryable: retryable } = err
    const body = err.responseBody?.slice(0, EVIDENCE_CHARS) ?? ''
    return failure({
      status,
      headers,
      message,
      evidence: `${message.slice(0, EVIDENCE_CHARS)} ${body}`,
      retryable,
      unreachable: status === undefined && retryable,
    })
  }
  if (StreamProviderError.isInstance(err)) {
    const { statusCode: status, message, isRetryable: retryable } = err
    return failure({
      status,
      headers: {},
      message,
      evidence: `${message.slice(0, EVIDENCE_CHARS)} ${err.type ?? ''} ${err.code ?? ''}`,
      retryable,
    })
  }
  if (err instanceof Error && err.cause !== undefined && depth < 5) return unwrap(err.cause, depth + 1)
  const message = err instanceof Error ? err.message : String(err)
  return failure({ headers: {}, message, evidence: message, retryable: false })
}

// Bounded gaps only (no `.*`): the text is remote.
const CONTEXT_TOO_LONG =
  /context[_ ]length|context window|maximum context|prompt is too long|too many (input )?tokens|input token count[^\n]{0,200}exceeds|request too large/i

const retryAfterMs = (headers: Record<string, string>, now: number) => {
  if (headers['retry-after-ms'] !== undefined) return Number(headers['retry-after-ms'])
  const value = headers['retry-after']
  if (value === undefined) return NaN
  const seconds = Number(value)
  return Number.isNaN(seconds) ? Date.parse(value) - now : seconds * 1000
}

/** Whole seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), at least 1; undefined when absent. */
const retryAfterSeconds = (headers: Record<string, string>, now = Date.now()) => {
  const ms = retryAfterMs(headers, now)
  return Number.isFinite(ms) && ms >= 0 ? Math.max(1, Math.ceil(ms / 1000)) : undefined
}

const KEY_LIKE = /\b(sk|gsk|sk-ant|AIza)[-_A-Za-z0-9]{12,}/g
// A URL's user-info (`https://user:secret@host`): credentials even when they are not key-shaped.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,20}:\/\/)[^\s/?#@]{1,256}@/gi

/** Strips the configured keys (and anything key-shaped, and URL credentials) from upstream text before it reaches a user or a log. */
const redact = (text: string, secrets: string[]) =>
  secrets
    .filter((s) => s.length >= 4)
    .reduce((t, s) => t.split(s).join('[redacted]'), text)
    .replace(KEY_LIKE, '[redacted]')
    .replace(URL_CREDENTIALS, '$1[redacted]@')

/** See `describeError` on the module's public face. */
export const describeProviderError = (err: unknown, entry: CatalogEntry, secrets: string[]): AppError => {
  const failure = unwrap(err)
  // Our own guard refused the provider's address (a workspace base URL): say so, it is not the provider's fault.
  if (failure.refused) return failure.refused
  const { name, keyEnv, baseUrlEnv } = PROVIDERS[entry.provider]
  const { status } = failure
  if (status === 401 || status === 403) {
    return new AppError(
      502,
      'model.provider_unauthorized',
      `The ${name} API refused the configured key; check ${keyEnv ?? 'its key'}.`,
    )
  }
  if (status === 429) {
    const seconds = retryAfterSeconds(failure.headers)
    const when = seconds ? `in ${seconds} second${seconds === 1 ? '' : 's'}` : 'in a moment'
    return new AppError(
      503,
      'model.provider_rate_limited',
      `The ${name} API is rate-limiting this server; try again ${when}.`,
      seconds ? { headers: { 'retry-after': String(seconds) } } : {},
    )
  }
  if ((status === 400 || status === 413) && CONTEXT_TOO_LONG.test(failure.evidence)) {
    return new AppError(
      400,
      'model.context_too_long',
      `The conversation is too long for ${entry.label} (${entry.contextWindow.toLocaleString('en')} tokens). Start a new conversation or choose a model with a larger context window.`,
      { details: { modelId: entry.id, contextWindow: entry.contextWindow } },
    )
  }
  if (failure.unreachable) {
    return new AppError(
      502,
      'model.provider_unavailable',
      `Could not reach the ${name} API${baseUrlEnv ? `; check ${baseUrlEnv} and the network` : ''}.`,
    )
  }
  if ((status !== undefined && status >= 500) || (status === undefined && failure.retryable)) {
    const http = status === undefined ? '' : ` (HTTP ${status})`
    return new AppError(
      502,
      'model.provider_unavailable',
      `The ${name} API is unavailable right now${http}; try again in a moment.`,
    )
  }
  const upstream = redact(failure.message, secrets).replace(/\s+/g, ' ').trim().slice(0, SHOWN_CHARS)
  return new AppError(
    502,
    'model.provider_error',
    `The ${name} API returned an error${status ? ` (HTTP ${status})` : ''}: ${upstream}`,
  )
}
