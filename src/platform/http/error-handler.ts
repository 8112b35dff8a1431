import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { AppError } from './errors.ts'
import { requestErrors, resourceErrors, routeErrors, serverErrors } from './http.errors.ts'

export type ErrorBody = { error: { code: string; message: string; details?: unknown; requestId?: string } }

const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: requestErrors.body_too_large,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: requestErrors.unsupported_media_type,
  FST_ERR_CTP_EMPTY_JSON_BODY: requestErrors.empty_body,
  FST_ERR_CTP_INVALID_JSON_BODY: requestErrors.invalid_json,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: requestErrors.invalid_content_length,
}

/** An AppError as the body every error response has. */
const bodyOf = (error: AppError, requestId: string) => ({
  error: { code: error.code, message: error.message, details: error.details, requestId },
})

/** The one place that turns errors into HTTP: AppError keeps its code, 4xx from Fastify get one, 5xx say nothing. */
export const registerErrorHandler = (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const requestId = req.id
    if (error instanceof AppError) {
      if (error.headers) reply.headers(error.headers)
      return reply.code(error.status).send(bodyOf(error, requestId))
    }
    // A path that cannot name anything (an id of no kind, a malformed token) is as absent as an unknown id.
    if (hasZodFastifySchemaValidationErrors(error) && error.validationContext === 'params')
      return reply.code(404).send(bodyOf(resourceErrors.not_found(), requestId))
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        path: [String(error.validationContext ?? 'body'), ...String(v.instancePath).split('/').filter(Boolean)].join(
          '.',
        ),
        message: v.message,
        ...(v.params?.issue && typeof v.params.issue === 'object' && 'keys' in v.params.issue
          ? { keys: v.params.issue.keys }
          : {}),
      }))
      const problem = issues.map((i) => `${i.path} ${i.message}`).join('; ')
      return reply.code(400).send(bodyOf(requestErrors.invalid({ problem, issues }), requestId))
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined
    if (known) {
      const appError = known()
      return reply.code(appError.status).send(bodyOf(appError, requestId))
    }
    if (error.statusCode === 429) return reply.code(429).send(bodyOf(requestErrors.rate_limited(), requestId))
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500 && !isResponseSerializationError(error)) {
      return reply.code(error.statusCode).send(bodyOf(requestErrors.rejected({ message: error.message }), requestId))
    }
    req.log.error({ err: error }, 'unhandled error')
    return reply.code(500).send(bodyOf(serverErrors.internal(), requestId))
  })
}

export const routeNotFound = (req: FastifyRequest, reply: FastifyReply) =>
  reply.code(404).send(bodyOf(routeErrors.not_found({ method: req.method, path: req.url.split('?')[0]! }), req.id))
