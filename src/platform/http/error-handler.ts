import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { AppError } from './errors.ts'

export type ErrorBody = { error: { code: string; message: string; details?: unknown; requestId?: string } }

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'request.body_too_large',
    message: 'The request body is too large.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'request.unsupported_media_type',
    message: 'This route accepts application/json only.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'request.empty_body', message: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'request.invalid_json', message: 'The body is not valid JSON.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'request.invalid_content_length',
    message: 'Content-Length does not match the body.',
  },
}

/** The one place that turns errors into HTTP: AppError keeps its code, 4xx from Fastify get one, 5xx say nothing. */
export const registerErrorHandler = (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const requestId = req.id
    if (error instanceof AppError) {
      if (error.headers) reply.headers(error.headers)
      return reply
        .code(error.status)
        .send({ error: { code: error.code, message: error.message, details: error.details, requestId } })
    }
    // A path that cannot name anything (an id of no kind, a malformed token) is as absent as an unknown id.
    if (hasZodFastifySchemaValidationErrors(error) && error.validationContext === 'params')
      return reply
        .code(404)
        .send({ error: { code: 'resource.not_found', message: 'Nothing exists at this address.', requestId } })
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
      return reply.code(400).send({
        error: {
          code: 'request.invalid',
          message: `Invalid request: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
          details: { issues },
          requestId,
        },
      })
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined
    if (known) return reply.code(known.status).send({ error: { code: known.code, message: known.message, requestId } })
    if (error.statusCode === 429) {
      return reply
        .code(429)
        .send({ error: { code: 'request.rate_limited', message: 'Too many requests. Try again later.', requestId } })
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500 && !isResponseSerializationError(error)) {
      return reply
        .code(error.statusCode)
        .send({ error: { code: 'request.invalid', message: error.message, requestId } })
    }
    req.log.error({ err: error }, 'unhandled error')
    return reply.code(500).send({
      error: { code: 'internal', message: 'Something went wrong on our side. It has been logged.', requestId },
    })
  })
}

export const routeNotFound = (req: FastifyRequest, reply: FastifyReply) =>
  reply.code(404).send({
    error: {
      code: 'route.not_found',
      message: `No route ${req.method} ${req.url.split('?')[0]}.`,
      requestId: req.id,
    },
  })
