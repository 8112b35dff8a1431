import { defineErrors } from './errors.ts'

/** Every 429 says when to come back: `details.retryAfterSeconds` and a `Retry-After` header (whole seconds, ≥ 1). */
export const retryAfter = {
  details: (p: { retryAfterSeconds: number }) => ({ retryAfterSeconds: p.retryAfterSeconds }),
  headers: (p: { retryAfterSeconds: number }) => ({
    'retry-after': String(Math.max(1, Math.ceil(p.retryAfterSeconds))),
  }),
}

const IDEMPOTENCY_MISMATCH = {
  request: 'This request id was already used for a different request. Send a new X-Request-ID.',
  amount: 'This request id was already used with a different amount.',
  meeting: 'This request id was already used for a different meeting. Send a new X-Request-ID.',
}

const NOT_REPLAYABLE = {
  failed: 'The request with this id failed; send a new X-Request-ID to try again.',
  running: 'A request with this id is still running.',
  no_answer: 'The request with this id did not start an answer; send a new X-Request-ID.',
}

/** The request itself: its shape, its body, its idempotency key. */
export const requestErrors = defineErrors('request', {
  invalid: {
    status: 400,
    when: 'The request does not match the route: the message names each problem (schema issues in `details.issues`), or an id holds characters no id has.',
    message: (p: { problem: string; issues?: unknown[] }) => `Invalid request: ${p.problem}`,
    details: (p) => (p.issues ? { issues: p.issues } : undefined),
  },
  rejected: {
    code: 'invalid',
    status: 400,
    when: 'Fastify refused the request before the route ran; the status is the 4xx it chose and the message is its own.',
    message: (p: { message: string }) => p.message,
  },
  invalid_cursor: { status: 400, message: 'The cursor is not valid.' },
  unexpected_body: { status: 400, message: 'This route takes no request body.' },
  body_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'This route accepts application/json only.' },
  empty_body: { status: 400, message: 'The JSON body is empty.' },
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  invalid_content_length: { status: 400, message: 'Content-Length does not match the body.' },
  rate_limited: { status: 429, message: 'Too many requests. Try again later.' },
  idempotency_mismatch: {
    status: 409,
    when: 'The X-Request-ID was already used for a different request (another body, amount or meeting).',
    message: (p: { usedFor: keyof typeof IDEMPOTENCY_MISMATCH }) => IDEMPOTENCY_MISMATCH[p.usedFor],
  },
  not_replayable: {
    status: 409,
    when: 'A retry with the same X-Request-ID cannot be answered from the first attempt: it failed, is still running, or started nothing.',
    message: (p: { why: keyof typeof NOT_REPLAYABLE }) => NOT_REPLAYABLE[p.why],
  },
  in_progress: { status: 409, message: 'A meeting with this request id is starting.' },
})

/** Who is calling: signed in, allowed, from Camarad itself. The identity module adds its own `auth.*` codes. */
export const authErrors = defineErrors('auth', {
  unauthenticated: { status: 401, message: 'Sign in to continue.' },
  forbidden: { status: 403, message: 'Your role does not allow this.' },
  token_bound: {
    status: 403,
    message:
      'This API token is bound to one workspace or client: it cannot manage your account, tokens, members or workspaces.',
  },
  csrf: { status: 403, message: 'This change was refused: it did not come from Camarad itself.' },
})

export const operatorErrors = defineErrors('operator', {
  disabled: { status: 503, message: 'The operator API is off: set INTERNAL_TOKEN to use it.' },
  token_required: { status: 401, message: 'Send the operator token in X-Internal-Token.' },
})

export const resourceErrors = defineErrors('resource', {
  not_found: {
    status: 404,
    when: 'A path parameter cannot name anything (an id of no kind, a malformed token).',
    message: 'Nothing exists at this address.',
  },
})

export const routeErrors = defineErrors('route', {
  not_found: {
    status: 404,
    when: 'No route has this method and path.',
    message: (p: { method: string; path: string }) => `No route ${p.method} ${p.path}.`,
  },
})

/** The one code without a namespace: a 5xx never says more. */
export const serverErrors = defineErrors('', {
  internal: { status: 500, message: 'Something went wrong on our side. It has been logged.' },
})

/** Live streams (Server-Sent Events of runs). */
export const streamErrors = defineErrors('stream', {
  too_many: {
    status: 429,
    when: 'The user already has `SSE_MAX_STREAMS_PER_USER` live streams open (across processes with Redis).',
    message: (p: { max: number; retryAfterSeconds: number }) =>
      `At most ${p.max} live streams at once; close one and try again.`,
    ...retryAfter,
  },
})
