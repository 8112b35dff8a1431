/** A failure with a stable dotted code (`tenancy.client_not_found`); the HTTP edge picks the status. */
export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly details?: unknown
  readonly headers?: Record<string, string>
  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message)
    this.status = status
    this.code = code
    this.details = options.details
    this.headers = options.headers
  }
}

export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(400, code, message, { details })
export const unauthorized = (code = 'auth.unauthenticated', message = 'Sign in to continue.') =>
  new AppError(401, code, message)
export const forbidden = (code = 'auth.forbidden', message = 'Your role does not allow this.') =>
  new AppError(403, code, message)
export const notFound = (code: string, message: string) => new AppError(404, code, message)
export const conflict = (code: string, message: string, details?: unknown) =>
  new AppError(409, code, message, { details })
export const tooManyRequests = (
  code: string,
  retryAfterSeconds: number,
  message = 'Too many requests. Try again later.',
) =>
  new AppError(429, code, message, {
    details: { retryAfterSeconds },
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  })
