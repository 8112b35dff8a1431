import type { ErrorBody } from '../../../contracts/common.ts'

export type Issue = { path: string; message: string }

/** A failed API call: `message` is safe to show to the user. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown
  readonly retryAfterSeconds: number | null
  constructor(
    status: number,
    code: string,
    message: string,
    details?: unknown,
    retryAfterSeconds: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.retryAfterSeconds = retryAfterSeconds
  }

  /** Validation issues from `request.invalid` errors, if any. */
  get issues(): Issue[] {
    const d = this.details
    if (!d || typeof d !== 'object' || !('issues' in d) || !Array.isArray(d.issues)) return []
    return d.issues.filter((i): i is Issue => typeof i?.path === 'string' && typeof i?.message === 'string')
  }
}

type Listener = (error: ApiError) => void
let onUnauthorized: Listener | null = null

/** The app registers one handler that sends the user to /login on 401. */
export const setUnauthorizedHandler = (fn: Listener | null) => {
  onUnauthorized = fn
}

export type RequestOptions = {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  body?: unknown
  workspaceId?: string
  /** Sent as X-Client-ID on client-scoped routes. */
  clientId?: string
  query?: Record<string, string | number | undefined | null>
  signal?: AbortSignal
  /** Extra request headers (e.g. `idempotency-key`). */
  headers?: Record<string, string>
  /** Set false where a 401 is an expected answer (e.g. wrong password at login). */
  redirectOn401?: boolean
}

const buildUrl = (path: string, query?: RequestOptions['query']) => {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  const s = params.toString()
  return s ? `${path}?${s}` : path
}

const parseRetryAfter = (value: string | null): number | null => {
  if (!value) return null
  const n = Number(value)
  if (Number.isFinite(n)) return Math.max(1, Math.ceil(n))
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - Date.now()) / 1000))
}

const toError = async (res: Response): Promise<ApiError> => {
  let body: Partial<ErrorBody> | null
  try {
    body = (await res.json()) as Partial<ErrorBody>
  } catch {
    body = null
  }
  const err = body?.error
  if (res.status === 429) {
    const secs = parseRetryAfter(res.headers.get('retry-after'))
    const message = secs ? `Too many attempts, try again in ${secs} seconds.` : 'Too many attempts, try again later.'
    return new ApiError(429, err?.code ?? 'request.rate_limited', message, err?.details, secs)
  }
  if (err && typeof err.message === 'string')
    return new ApiError(res.status, err.code ?? 'unknown', err.message, err.details)
  return new ApiError(res.status, 'http.unexpected', `The server returned an unexpected response (${res.status}).`)
}

/** The error for a failed response; a 401 also tells the app (which sends the user to /login). */
export const failed = async (res: Response, redirectOn401 = true): Promise<ApiError> => {
  const error = await toError(res)
  if (res.status === 401 && redirectOn401 && error.code !== 'auth.invalid_credentials') onUnauthorized?.(error)
  return error
}

/** fetch wrapper: same-origin cookies, JSON in and out, errors as ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, workspaceId, clientId, query, signal, redirectOn401 = true } = options
  const headers: Record<string, string> = { ...options.headers, accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (workspaceId) headers['x-workspace-id'] = workspaceId
  if (clientId) headers['x-client-id'] = clientId
  let res: Response
  try {
    res = await fetch(buildUrl(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'network.unreachable', 'Cannot reach the server. Check your connection and try again.')
  }
  if (!res.ok) throw await failed(res, redirectOn401)
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** Human message for any thrown value. */
export const errorMessage = (error: unknown): string => {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error && error.message) return error.message
  return 'Something went wrong. Please try again.'
}

export const isApiError = (error: unknown, code?: string): error is ApiError =>
  error instanceof ApiError && (code === undefined || error.code === code)

/**
 * Downloads a file an API route answers (exports need the tenant headers, so not a plain link) and saves it under the
 * server's `Content-Disposition` name, else `fallbackName`. Answers the name saved.
 */
export const downloadFile = async (
  path: string,
  options: { headers: Record<string, string>; query?: Record<string, string | undefined>; fallbackName: string },
) => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(options.query ?? {})) if (v) params.set(k, v)
  const res = await fetch(`${path}${params.size ? `?${params}` : ''}`, {
    headers: options.headers,
    credentials: 'same-origin',
  })
  if (!res.ok) throw await failed(res)
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? options.fallbackName
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
