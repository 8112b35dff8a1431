import type { FastifyReply, FastifyRequest } from 'fastify'
import { ErrorBody } from '../../../contracts/common.ts'
import { authErrors } from './http.errors.ts'
import { boundTo, type RequestAuth, type RequestMeta } from './request-context.ts'

/** Declares the error responses a route can give, so the OpenAPI document lists them. */
export const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorBody]))

export const requireAuth = (req: FastifyRequest): RequestAuth => {
  if (!req.auth) throw authErrors.unauthenticated()
  return req.auth
}

/** For account-level changes (tokens, password, profile, members, new workspaces): a bound token acts only in its binding. */
export const requireAccountAuth = (req: FastifyRequest): RequestAuth => {
  const auth = requireAuth(req)
  if (boundTo(auth)) throw authErrors.token_bound()
  return auth
}

export const requestMeta = (req: FastifyRequest): RequestMeta => ({
  ip: req.ip,
  userAgent: req.headers['user-agent'] ?? null,
  requestId: req.id,
})

export const noContent = (reply: FastifyReply) => reply.code(204).send()
