import type { FastifyRequest } from 'fastify'
import type { Db } from '../../platform/db/database.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { identityJobs } from './identity.jobs.ts'
import { identityRoutes, SESSION_COOKIE } from './identity.routes.ts'
import { createIdentityService, type ThrottleSettings } from './identity.service.ts'
import { createTokenService } from './tokens.service.ts'

export type { IdentityService } from './identity.service.ts'
export { SESSION_COOKIE }

type Deps = { db: Db; audit: AuditService; counters: CounterStore; throttle: ThrottleSettings; sessionTtlDays: number }

/** Accounts, sessions and personal API tokens. */
export const createIdentityModule = (deps: Deps) => {
  const identity = createIdentityService(deps)
  const tokens = createTokenService(deps)
  const BEARER = /^Bearer\s+(\S+)$/i

  /** onRequest hook: resolves `req.auth` once, from the Bearer token if one is sent, else the session cookie. */
  const resolveAuth = async (req: FastifyRequest) => {
    req.auth = null
    const header = req.headers.authorization
    if (header) {
      const bearer = BEARER.exec(header)?.[1]
      if (bearer) req.auth = await tokens.authenticate(bearer)
      return
    }
    const raw = req.cookies[SESSION_COOKIE]
    if (!raw) return
    const cookie = req.unsignCookie(raw)
    if (cookie.valid && cookie.value) req.auth = await identity.authenticateSession(cookie.value)
  }

  return {
    identity, tokens, resolveAuth,
    routes: (wiring: Omit<Parameters<typeof identityRoutes>[0], 'identity' | 'tokens'>) => identityRoutes({ identity, tokens, ...wiring }),
    jobs: identityJobs(identity),
  }
}
export type IdentityModule = ReturnType<typeof createIdentityModule>
