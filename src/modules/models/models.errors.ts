import { APICallError, RetryError, StreamProviderError } from 'ai'
import { AppError, badRequest } from '../../platform/http/errors.ts'
import { PROVIDERS } from './models.catalog.ts'
import type { CatalogEntry } from './models.types.ts'

export const unknownModel = (id: string) =>
  badRequest('model.unknown', `No model "${id.slice(0, 120)}" is available on this server. GET /api/models lists the ones that are.`)

/**
 * `evidence` is everything the provider said (message, body, codes), searched for known failure kinds;
 * `unreachable` is a request that got no HTTP answer at all (refused, reset, DNS).
 */
type Failure = { status?: number; headers: Record<string, string>; message: string; evidence: string; retryable: boolean; unreachable?: boolean }

/** The provider's own failure under the SDK's wrappers: RetryError keeps the last attempt, others keep a cause. */
const unwrap = (err: unknown, depth = 0): Failure => {
  if (RetryError.isInstance(err) && depth < 5) return unwrap(err.lastError, depth + 1)
  if (APICallError.isInstance(err)) {
    const { statusCode: status, responseHeaders: headers = {}, message, isRetryable: retryable } = err
    return { status, headers, message, evidence: `${message} ${err.responseBody ?? ''}`, retryable, unreachable: status === undefined && retryable }
  }
  if (StreamProviderError.isInstance(err)) {
    const { statusCode: status, message, isRetryable: retryable } = err
    return { status, headers: {}, message, evidence: `${message} ${err.type ?? ''} ${err.code ?? ''}`, retryable }
  }
  if (err instanceof Error && err.cause !== undefined && depth < 5) return unwrap(err.cause, depth + 1)
  const message = err instanceof Error ? err.message : String(err)
  return { headers: {}, message, evidence: message, retryable: false }
}

const CONTEXT_TOO_LONG = /context[_ ]length|context window|maximum context|prompt is too long|too many (input )?tokens|input token count.*exceeds|request too large/i

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

/** Strips the configured keys (and anything key-shaped) from upstream text before it reaches a user or a log. */
const redact = (text: string, secrets: string[]) =>
  secrets.filter((s) => s.length >= 4).reduce((t, s) => t.split(s).join('[redacted]'), text).replace(KEY_LIKE, '[redacted]')

/** See `describeError` on the module's public face. */
export const describeProviderError = (err: unknown, entry: CatalogEntry, secrets: string[]): AppError => {
  const failure = unwrap(err)
  const { name, keyEnv, baseUrlEnv } = PROVIDERS[entry.provider]
  const { status } = failure
  if (status === 401 || status === 403) {
    return new AppError(502, 'model.provider_unauthorized', `The ${name} API refused the configured key; check ${keyEnv ?? 'its key'}.`)
  }
  if (status === 429) {
    const seconds = retryAfterSeconds(failure.headers)
    const when = seconds ? `in ${seconds} second${seconds === 1 ? '' : 's'}` : 'in a moment'
    return new AppError(503, 'model.provider_rate_limited', `The ${name} API is rate-limiting this server; try again ${when}.`,
      seconds ? { headers: { 'retry-after': String(seconds) } } : {})
  }
  if ((status === 400 || status === 413) && CONTEXT_TOO_LONG.test(failure.evidence)) {
    return new AppError(400, 'model.context_too_long',
      `The conversation is too long for ${entry.label} (${entry.contextWindow.toLocaleString('en')} tokens). Start a new conversation or choose a model with a larger context window.`,
      { details: { modelId: entry.id, contextWindow: entry.contextWindow } })
  }
  if (failure.unreachable) {
    return new AppError(502, 'model.provider_unavailable', `Could not reach the ${name} API${baseUrlEnv ? `; check ${baseUrlEnv} and the network` : ''}.`)
  }
  if ((status !== undefined && status >= 500) || (status === undefined && failure.retryable)) {
    const http = status === undefined ? '' : ` (HTTP ${status})`
    return new AppError(502, 'model.provider_unavailable', `The ${name} API is unavailable right now${http}; try again in a moment.`)
  }
  const upstream = redact(failure.message, secrets).replace(/\s+/g, ' ').trim().slice(0, 300)
  return new AppError(502, 'model.provider_error', `The ${name} API returned an error${status ? ` (HTTP ${status})` : ''}: ${upstream}`)
}
