import { connectorsErrors } from './connectors.errors.ts'

/** How long a call to Google may take before it counts as unavailable. */
const TIMEOUT_MS = 30_000
const DEFAULT_RETRY_SECONDS = { quota: 60, unavailable: 30 }

/**
 * Google's error envelope (`{ error: { code, message, status, details } }`), as the Ads and Analytics REST APIs send
 * it; the Ads API names the precise cause in `details[].errors[].errorCode` (e.g. `{ authorizationError:
 * 'CUSTOMER_NOT_ENABLED' }`) and a quota's delay in `details[].errors[].details.quotaErrorDetails.retryDelay`.
 */
export class GoogleApiError extends Error {
  readonly httpStatus: number
  readonly status: string
  readonly reasons: string[]
  readonly retryAfter: number | undefined
  constructor(httpStatus: number, status: string, message: string, reasons: string[], retryAfter: number | undefined) {
    super(message)
    this.httpStatus = httpStatus
    this.status = status
    this.reasons = reasons
    this.retryAfter = retryAfter
  }
}

type Envelope = { error?: { code?: number; message?: string; status?: string; details?: unknown[] } }

const seconds = (delay: unknown) => {
  const m = typeof delay === 'string' ? /^(\d+)(?:\.\d+)?s$/.exec(delay) : null
  return m ? Math.max(1, Number(m[1])) : undefined
}

/** Reads the envelope out of a body (an object, or searchStream's array whose last element carries the error). */
export const errorOf = (httpStatus: number, body: unknown, retryAfterHeader: string | null) => {
  const env = (Array.isArray(body) ? body.find((b: Envelope) => b?.error) : body) as Envelope | undefined
  const e = env?.error ?? {}
  const reasons: string[] = []
  let retry = seconds(retryAfterHeader ? `${retryAfterHeader}s` : undefined)
  for (const d of Array.isArray(e.details) ? e.details : []) {
    const detail = d as {
      reason?: string
      retryDelay?: string
      errors?: { errorCode?: Record<string, string>; details?: { quotaErrorDetails?: { retryDelay?: string } } }[]
    }
    if (detail.reason) reasons.push(detail.reason)
    retry ??= seconds(detail.retryDelay)
    for (const err of detail.errors ?? []) {
      reasons.push(...Object.values(err.errorCode ?? {}))
      retry ??= seconds(err.details?.quotaErrorDetails?.retryDelay)
    }
  }
  const status = e.status ?? (httpStatus === 429 ? 'RESOURCE_EXHAUSTED' : `HTTP_${httpStatus}`)
  return new GoogleApiError(httpStatus, status, (e.message ?? 'no message').slice(0, 300), reasons, retry)
}

/** Google's error → our stable codes: permission, not enabled, quota (429) and outages (503) say when to retry. */
export const mapGoogleError = (err: unknown): Error => {
  if (!(err instanceof GoogleApiError)) return err instanceof Error ? err : new Error(String(err))
  if (err.reasons.includes('CUSTOMER_NOT_ENABLED')) return connectorsErrors.customer_not_enabled()
  if (err.status === 'RESOURCE_EXHAUSTED' || err.httpStatus === 429 || err.reasons.some((r) => /QUOTA|RATE/.test(r)))
    return connectorsErrors.quota({ retryAfter: err.retryAfter ?? DEFAULT_RETRY_SECONDS.quota })
  if (err.status === 'PERMISSION_DENIED' || err.httpStatus === 403)
    return connectorsErrors.permission_denied({ problem: err.message })
  if (err.status === 'UNAVAILABLE' || err.status === 'DEADLINE_EXCEEDED' || err.httpStatus >= 500)
    return connectorsErrors.unavailable({ retryAfter: err.retryAfter ?? DEFAULT_RETRY_SECONDS.unavailable })
  return connectorsErrors.google_failed({ status: err.status, problem: err.message })
}

/**
 * One JSON call to a Google REST API with a bearer token. A network failure or timeout is a 503-shaped
 * GoogleApiError; an error body becomes a GoogleApiError the caller maps (after a refresh on 401).
 */
export const googleJson = async (
  url: string,
  init: { method?: 'GET' | 'POST'; accessToken: string; headers?: Record<string, string>; body?: unknown },
): Promise<unknown> => {
  let res: Response
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.accessToken}`,
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (err) {
    throw new GoogleApiError(503, 'UNAVAILABLE', (err as Error).message, [], undefined)
  }
  const text = await res.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (!res.ok) throw errorOf(res.status, body, res.headers.get('retry-after'))
  // searchStream answers 200 with the error as the array's last element when it fails mid-stream.
  const failed = Array.isArray(body) ? (body as Envelope[]).find((b) => b?.error) : undefined
  if (failed) throw errorOf(failed.error?.code ?? 500, body, null)
  return body
}
