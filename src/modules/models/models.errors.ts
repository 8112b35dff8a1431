import { APICallError, RetryError, StreamProviderError } from 'ai'
import { EgressError } from '../../platform/egress/egress.ts'
import { defineErrors, type AppError } from '../../platform/http/errors.ts'
import { PROVIDERS } from './models.catalog.ts'
import type { CatalogEntry } from './models.types.ts'

export const modelsErrors = defineErrors('model', {
  unknown: {
    status: 400,
    when: 'The model id is not in the catalog of this server.',
    message: (p: { id: string }) =>
      `No model "${p.id.slice(0, 120)}" is available on this server. GET /api/models lists the ones that are.`,
  },
  provider_unauthorized: {
    status: 502,
    when: 'The provider refused the configured key (HTTP 401 or 403).',
    message: (p: { name: string; keyEnv?: string }) =>
      `The ${p.name} API refused the configured key; check ${p.keyEnv ?? 'its key'}.`,
  },
  provider_rate_limited: {
    status: 503,
    when: "The provider is rate-limiting this server (HTTP 429); Retry-After is the provider's when it gave one.",
    message: (p: { name: string; seconds?: number }) =>
      `The ${p.name} API is rate-limiting this server; try again ${p.seconds ? `in ${p.seconds} second${p.seconds === 1 ? '' : 's'}` : 'in a moment'}.`,
    headers: (p) => (p.seconds ? { 'retry-after': String(p.seconds) } : undefined),
  },
  context_too_long: {
    status: 400,
    when: "The conversation does not fit the model's context window.",
    message: (p: { entry: CatalogEntry }) =>
      `The conversation is too long for ${p.entry.label} (${p.entry.contextWindow.toLocaleString('en')} tokens). ` +
      `Start a new conversation or choose a model with a larger context window.`,
    details: (p) => ({ modelId: p.entry.id, contextWindow: p.entry.contextWindow }),
  },
  provider_unreachable: {
    code: 'provider_unavailable',
    status: 502,
    when: 'The provider could not be reached at all (refused, reset, DNS).',
    message: (p: { name: string; baseUrlEnv?: string }) =>
      `Could not reach the ${p.name} API${p.baseUrlEnv ? `; check ${p.baseUrlEnv} and the network` : ''}.`,
  },
  provider_unavailable: {
    status: 502,
    when: 'The provider answered with a 5xx, or failed in a way worth retrying.',
    message: (p: { name: string; status?: number }) =>
      `The ${p.name} API is unavailable right now${p.status === undefined ? '' : ` (HTTP ${p.status})`}; try again in a moment.`,
  },
  provider_error: {
    status: 502,
    when: 'The provider refused the request for another reason; the message quotes it (keys redacted, 200 characters at most).',
    message: (p: { name: string; status?: number; upstream: string }) =>
      `The ${p.name} API returned an error${p.status ? ` (HTTP ${p.status})` : ''}: ${p.upstream}`,
  },
})

/** A workspace's own provider keys. */
export const providerKeysErrors = defineErrors('models', {
  key_not_found: { status: 404, message: 'This workspace has no key for that provider.' },
  base_url_required: {
    status: 400,
    message: 'An OpenAI-compatible server needs its base URL and the names of the models it serves.',
  },
})

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
    return modelsErrors.provider_unauthorized({ name, keyEnv })
  }
  if (status === 429) {
    return modelsErrors.provider_rate_limited({ name, seconds: retryAfterSeconds(failure.headers) })
  }
  if ((status === 400 || status === 413) && CONTEXT_TOO_LONG.test(failure.evidence)) {
    return modelsErrors.context_too_long({ entry })
  }
  if (failure.unreachable) {
    return modelsErrors.provider_unreachable({ name, baseUrlEnv })
  }
  if ((status !== undefined && status >= 500) || (status === undefined && failure.retryable)) {
    return modelsErrors.provider_unavailable({ name, status })
  }
  const upstream = redact(failure.message, secrets).replace(/\s+/g, ' ').trim().slice(0, SHOWN_CHARS)
  return modelsErrors.provider_error({ name, status, upstream })
}
