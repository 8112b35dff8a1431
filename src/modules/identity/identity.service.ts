import type { Kysely } from 'kysely'
import type { IdentityTables } from './identity.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { User } from './identity.tables.ts'
import { hashToken, newSecretToken } from '../../platform/crypto/tokens.ts'
import { ipKey } from '../../platform/http/client-ip.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { RequestAuth, RequestMeta } from '../../platform/http/request-context.ts'
import type { UserDto } from '../../../contracts/identity.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { identityErrors } from './identity.errors.ts'
import { sessions, users } from './identity.repository.ts'
import { assertAcceptablePassword, hashPassword, verifyPassword } from './password.ts'
import { createWhoCache, type Invalidations } from '../../platform/cache/who-cache.ts'

/** How long a process trusts a cached session without news from the database (invalidations are immediate). */
const SESSION_CACHE_TTL_MS = 60_000

export type ThrottleSettings = {
  maxFailuresPerAccount: number
  maxAttemptsPerIp: number
  windowSeconds: number
  maxSignupsPerIpPerHour: number
}

export const toUserDto = (u: User): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  createdAt: u.createdAt.toISOString(),
  hasPassword: u.passwordHash !== null,
  emailVerified: u.emailVerifiedAt !== null,
})

type Deps = {
  db: Kysely<IdentityTables>
  audit: AuditService
  counters: CounterStore
  throttle: ThrottleSettings
  sessionTtlDays: number
  /** What the database says changed: drops cached sessions in every process (ADR 0009). */
  invalidations: Invalidations
  now?: () => Date
  /** Called in the signup transaction (the verification email is sent from there). */
  onSignedUp?: (trx: Kysely<IdentityTables>, user: User) => Promise<void>
}

export const createIdentityService = ({
  db,
  audit,
  counters,
  throttle,
  sessionTtlDays,
  invalidations,
  now = () => new Date(),
  onSignedUp,
}: Deps) => {
  /** Session token hash → its row, in every process; a session ended or deleted is dropped at commit (ADR 0009). */
  const sessionCache = createWhoCache<NonNullable<Awaited<ReturnType<typeof sessions.findLive>>>>(invalidations, {
    tagsOf: (_hash, s) => [`session:${s.id}`],
    ttlMs: SESSION_CACHE_TTL_MS,
    max: 10_000,
  })
  // Verifying against a real hash for unknown emails keeps both answers in the same timing band.
  const dummyHash = hashPassword(newSecretToken())
  const windowMs = throttle.windowSeconds * 1000

  const startSession = async (userId: string, meta: RequestMeta) => {
    const token = newSecretToken()
    await sessions.insert(db, {
      id: newId('ses'),
      userId,
      tokenHash: hashToken(token),
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      expiresAt: new Date(now().getTime() + sessionTtlDays * 86_400_000),
    })
    return token
  }

  /**
   * Takes a number before the password is checked, then decides: parallel attempts each count, so at most `limit`
   * of them in a window ever reach the check. Windows are fixed (they do not grow with more attempts), so a
   * throttle always ends; it guards password checks only, never a password reset.
   */
  const countAttempt = async (key: string, limit: number) => {
    const hit = await counters.hit(key, windowMs)
    if (hit.count > limit) throw identityErrors.throttled({ retryAfterSeconds: hit.resetMs / 1000, what: 'sign_in' })
  }
  const ipCounter = (meta: RequestMeta) => `login:ip:${ipKey(meta.ip)}`

  return {
    startSession,

    async signup(body: { email: string; password: string; name: string }, meta: RequestMeta) {
      const ipHit = await counters.hit(`signup:ip:${ipKey(meta.ip)}`, 3_600_000)
      if (ipHit.count > throttle.maxSignupsPerIpPerHour)
        throw identityErrors.throttled({ retryAfterSeconds: ipHit.resetMs / 1000, what: 'sign_up' })
      assertAcceptablePassword(body.password, body)
      if (await users.byEmail(db, body.email)) throw identityErrors.email_taken()
      const passwordHash = await hashPassword(body.password)
      const user = await db
        .transaction()
        .execute(async (trx) => {
          const created = await users.insert(trx, {
            id: newId('usr'),
            email: body.email,
            name: body.name,
            passwordHash,
          })
          await audit.record(trx, {
            action: 'auth.signup',
            actorUserId: created.id,
            subjectUserId: created.id,
            ip: meta.ip,
          })
          await onSignedUp?.(trx, created)
          return created
        })
        .catch((err: { code?: string }) => {
          throw err.code === '23505' ? identityErrors.email_taken() : err
        })
      return { user: toUserDto(user), sessionToken: await startSession(user.id, meta) }
    },

    async login(body: { email: string; password: string }, meta: RequestMeta) {
      const accountKey = `login:acct:${body.email}`
      await countAttempt(ipCounter(meta), throttle.maxAttemptsPerIp)
      await countAttempt(accountKey, throttle.maxFailuresPerAccount)
      const user = await users.byEmail(db, body.email)
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), body.password)
      if (!user || !user.passwordHash || !ok) {
        await audit.record(db, {
          action: 'auth.login_failed',
          subjectUserId: user?.id ?? null,
          ip: meta.ip,
          metadata: { reason: user ? 'password' : 'unknown_email' },
        })
        throw identityErrors.invalid_credentials()
      }
      await counters.reset(accountKey)
      const sessionToken = await startSession(user.id, meta)
      await audit.record(db, { action: 'auth.login', actorUserId: user.id, subjectUserId: user.id, ip: meta.ip })
      return { user: toUserDto(user), sessionToken }
    },

    async logout(auth: RequestAuth, meta: RequestMeta) {
      if (auth.via !== 'session') return
      await sessions.delete(db, auth.userId, auth.sessionId)
      await audit.record(db, {
        action: 'auth.logout',
        actorUserId: auth.userId,
        subjectUserId: auth.userId,
        ip: meta.ip,
      })
    },

    /**
     * Resolves a session cookie's token to its user; an expired or deleted session resolves to nothing. `since`: the
     * request's arrival, whose committed sign-outs must be seen (the cache's barrier).
     */
    async authenticateSession(token: string, since?: number): Promise<RequestAuth | null> {
      const hash = hashToken(token)
      const at = now()
      let s = await sessionCache.get(hash, () => sessions.findLive(db, hash, at), since)
      if (s && s.expiresAt <= at) {
        sessionCache.drop(hash)
        s = undefined
      }
      return s ? { via: 'session', userId: s.userId, sessionId: s.id } : null
    },

    getUser: async (userId: string) => {
      const u = await users.byId(db, userId)
      return u ? toUserDto(u) : null
    },
    usersByIds: (ids: string[]) => users.byIds(db, ids),
    userIdByEmail: async (email: string) => (await users.byEmail(db, email))?.id ?? null,

    async updateProfile(userId: string, patch: { name: string }) {
      return toUserDto(await users.update(db, userId, patch))
    },

    /** Changing the password ends every other session of the user. */
    async changePassword(auth: RequestAuth, body: { currentPassword: string; newPassword: string }, meta: RequestMeta) {
      // Guessing the current password through a stolen session is throttled like a login.
      const accountKey = `password:acct:${auth.userId}`
      await countAttempt(ipCounter(meta), throttle.maxAttemptsPerIp)
      await countAttempt(accountKey, throttle.maxFailuresPerAccount)
      const user = await users.byId(db, auth.userId)
      if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, body.currentPassword)))
        throw identityErrors.wrong_password()
      await counters.reset(accountKey)
      assertAcceptablePassword(body.newPassword, user)
      const passwordHash = await hashPassword(body.newPassword)
      await db.transaction().execute(async (trx) => {
        await users.update(trx, user.id, { passwordHash })
        await sessions.deleteAllOfUser(trx, user.id, auth.via === 'session' ? auth.sessionId : undefined)
        await audit.record(trx, {
          action: 'auth.password_changed',
          actorUserId: user.id,
          subjectUserId: user.id,
          ip: meta.ip,
        })
      })
    },

    cleanupExpiredSessions: () => sessions.deleteExpired(db, now()),
  }
}
export type IdentityService = ReturnType<typeof createIdentityService>
