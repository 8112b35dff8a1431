import type { Kysely } from 'kysely'
import type { IdentityTables } from './identity.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import { hashToken, newSecretToken } from '../../platform/crypto/tokens.ts'
import { ipKey } from '../../platform/http/client-ip.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { MailService } from '../mail/mail.module.ts'
import { passwordResetEmail } from './auth-emails.ts'
import type { EmailVerification } from './email-verification.service.ts'
import { identityErrors } from './identity.errors.ts'
import { apiTokens, authTokens, sessions, users } from './identity.repository.ts'
import { toUserDto } from './identity.service.ts'
import { assertAcceptablePassword, hashPassword } from './password.ts'

const TTL_MS = 30 * 60_000
const HOUR_MS = 3_600_000
export const RESET_LIMITS = { perEmailPerHour: 5, perIpPerHour: 20 }

type Deps = {
  db: Kysely<IdentityTables>
  audit: AuditService
  counters: CounterStore
  mail: Pick<MailService, 'send'>
  publicUrl: string
  verification: Pick<EmailVerification, 'markVerified'>
  startSession: (userId: string, meta: RequestMeta) => Promise<string>
  now?: () => Date
}

/**
 * Password reset by email: a single-use link valid 30 minutes (stored hashed). Confirming it sets the password, ends every
 * session and revokes every API token of the user, proves the mailbox, and signs the person in: no login throttle stands
 * between a person and their account.
 */
export const createPasswordReset = ({
  db,
  audit,
  counters,
  mail,
  publicUrl,
  verification,
  startSession,
  now = () => new Date(),
}: Deps) => ({
  /** Always accepted (the answer never says whether the email has an account); throttled per email and per IP. */
  async request(email: string, meta: RequestMeta) {
    const ipHit = await counters.hit(`reset:ip:${ipKey(meta.ip)}`, HOUR_MS)
    if (ipHit.count > RESET_LIMITS.perIpPerHour)
      throw identityErrors.throttled({ retryAfterSeconds: ipHit.resetMs / 1000, what: 'reset_from_address' })
    const emailHit = await counters.hit(`reset:email:${email}`, HOUR_MS)
    if (emailHit.count > RESET_LIMITS.perEmailPerHour)
      throw identityErrors.throttled({ retryAfterSeconds: emailHit.resetMs / 1000, what: 'reset_to_email' })
    const user = await users.byEmail(db, email)
    await db.transaction().execute(async (trx) => {
      if (user) {
        const token = newSecretToken()
        await authTokens.insert(trx, {
          id: newId('atk'),
          userId: user.id,
          purpose: 'reset_password',
          tokenHash: hashToken(token),
          expiresAt: new Date(now().getTime() + TTL_MS),
        })
        await mail.send(trx, passwordResetEmail(user, `${publicUrl}/reset-password?token=${encodeURIComponent(token)}`))
      }
      await audit.record(trx, {
        action: 'auth.password_reset_requested',
        subjectUserId: user?.id ?? null,
        ip: meta.ip,
        metadata: { known: Boolean(user) },
      })
    })
  },

  async confirm(body: { token: string; password: string }, meta: RequestMeta) {
    const tokenHash = hashToken(body.token)
    const pending = await authTokens.findLive(db, tokenHash, 'reset_password', now())
    const user = pending && (await users.byId(db, pending.userId))
    if (!user) throw identityErrors.link_invalid()
    assertAcceptablePassword(body.password, user)
    const passwordHash = await hashPassword(body.password)
    await db.transaction().execute(async (trx) => {
      // Single use, decided here: of two concurrent confirmations only one finds the token unused.
      if (!(await authTokens.consume(trx, tokenHash, 'reset_password', now()))) throw identityErrors.link_invalid()
      await authTokens.consumeAllOfUser(trx, user.id, 'reset_password', now())
      await users.update(trx, user.id, { passwordHash })
      await sessions.deleteAllOfUser(trx, user.id)
      await apiTokens.revokeAllOfUser(trx, user.id, now())
      await audit.record(trx, {
        action: 'auth.password_reset',
        actorUserId: user.id,
        subjectUserId: user.id,
        ip: meta.ip,
      })
      await verification.markVerified(trx, user.id, 'password_reset', meta.ip)
    })
    const fresh = (await users.byId(db, user.id))!
    return { user: toUserDto(fresh), sessionToken: await startSession(user.id, meta) }
  },
})
export type PasswordReset = ReturnType<typeof createPasswordReset>
