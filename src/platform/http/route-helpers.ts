import type { FastifyReply, FastifyRequest } from 'fastify'
import { ErrorBody } from '../../../contracts/common.ts'
import { unauthorized } from './errors.ts'
import type { RequestAuth, RequestMeta } from './request-context.ts'

/** Declares the error responses a route can give, so the OpenAPI document lists them. */
export const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorBody]))

export const requireAuth = (req: FastifyRequest): RequestAuth => {
  if (!req.auth) throw unauthorized()
  return req.auth
}

export const requestMeta = (req: FastifyRequest): RequestMeta =>
  ({ ip: req.ip, userAgent: req.headers['user-agent'] ?? null, requestId: req.id })

export const noContent = (reply: FastifyReply) => reply.code(204).send()
