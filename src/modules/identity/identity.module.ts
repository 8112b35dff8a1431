import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Emits } from '../../platform/events/events.ts'
import type { IdentityTables } from './identity.tables.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { FastifyInstance } from 'fastify'
import { createGoogleSignIn, type GoogleSettings } from './google.service.ts'
import { googleRoutes } from './google.routes.ts'
import { identityJobs } from './identity.jobs.ts'
import { identityRoutes, SESSION_COOKIE } from './identity.routes.ts'
import { createIdentityService, type ThrottleSettings } from './identity.service.ts'
import { createTokenService } from './tokens.service.ts'
import { authEmailRoutes } from './auth-email.routes.ts'
import { createEmailVerification, type IdentityEvents } from './email-verification.service.ts'
import { createPasswordReset } from './password-reset.service.ts'
import type { MailService } from '../mail/mail.module.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { Invalidations } from '../../platform/cache/who-cache.ts'

export type { IdentityService } from './identity.service.ts'
export type { IdentityEvents } from './email-verification.service.ts'
export { SESSION_COOKIE }

type Deps = {
  db: Kysely<IdentityTables>
  audit: AuditService
  counters: CounterStore
  throttle: ThrottleSettings
  sessionTtlDays: number
  publicUrl: string
  google?: Omit<GoogleSettings, 'redirectUri'>
  mail: Pick<MailService, 'send'>
  /** Where `email.verified` goes, in the transaction that verified the email (credits grant welcome credits then). */
  events: Emits<IdentityEvents>
  /** What the database says changed: drops cached tokens and sessions in every process (ADR 0009). */
  invalidations: Invalidations
}

/** Accounts, sessions and personal API tokens. */
export const createIdentityModule = (deps: Deps) => {
  const verification = createEmailVerification(deps)
  const identity = createIdentityService({ ...deps, onSignedUp: (trx, user) => verification.issue(trx, user, null) })
  const tokens = createTokenService(deps)
  const reset = createPasswordReset({ ...deps, verification, startSession: identity.startSession })
  const google =
    deps.google &&
    createGoogleSignIn({
      db: deps.db,
      audit: deps.audit,
      startSession: identity.startSession,
      markVerified: verification.markVerified,
      settings: { ...deps.google, redirectUri: `${deps.publicUrl}/api/auth/google/callback` },
    })
  const sessionCookie = {
    name: SESSION_COOKIE,
    options: {
      signed: true,
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: deps.publicUrl.startsWith('https://'),
      path: '/',
      maxAge: deps.sessionTtlDays * 86_400,
    },
  }
  const BEARER = /^Bearer\s+(\S+)$/i

  /** onRequest hook: resolves `req.auth` once, from the Bearer token if one is sent, else the session cookie. */
  const resolveAuth = async (req: FastifyRequest) => {
    req.auth = null
    const header = req.headers.authorization
    if (header) {
      const bearer = BEARER.exec(header)?.[1]
      if (bearer) req.auth = await tokens.authenticate(bearer, req.arrivedAt)
      return
    }
    const raw = req.cookies[SESSION_COOKIE]
    if (!raw) return
    const cookie = req.unsignCookie(raw)
    if (cookie.valid && cookie.value) req.auth = await identity.authenticateSession(cookie.value, req.arrivedAt)
  }

  return {
    identity,
    tokens,
    resolveAuth,
    /** Whether a person proved their mailbox (free credits go to verified people only); reads on the given executor. */
    isEmailVerified: verification.isVerified,
    /** Its routes and jobs, once tenancy (built after identity) can say which workspaces a caller has. */
    connect: (wiring: Pick<Parameters<typeof identityRoutes>[0], 'workspacesOf' | 'checkTokenBinding'>) =>
      ({
        routes: [
          async (app: FastifyInstance) => {
            await app.register(
              identityRoutes({
                identity,
                tokens,
                sessionCookie,
                googleEnabled: Boolean(google),
                activity: (userId, q) => deps.audit.listAccount(deps.db, userId, q),
                ...wiring,
              }),
            )
            await app.register(googleRoutes({ google, publicUrl: deps.publicUrl, sessionCookie }))
            await app.register(authEmailRoutes({ verification, reset, sessionCookie }))
          },
        ],
        jobs: identityJobs(identity, verification),
      }) satisfies ModuleShape,
  }
}
export type IdentityModule = ReturnType<typeof createIdentityModule>
