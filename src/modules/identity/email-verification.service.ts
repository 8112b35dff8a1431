import type { Kysely } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { IdentityTables } from './identity.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { User } from './identity.tables.ts'
import { hashToken, newSecretToken } from '../../platform/crypto/tokens.ts'
import { ipKey } from '../../platform/http/client-ip.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { MailService } from '../mail/mail.module.ts'
import { verificationEmail } from './auth-emails.ts'
import { identityErrors } from './identity.errors.ts'
import { authTokens, users } from './identity.repository.ts'

/**
 * What identity tells other modules, inside the transaction that did it: `email.verified` when a person proved their
 * mailbox (credits grant welcome credits then).
 */
export type IdentityEvents = { 'email.verified': { userId: string } }

const TTL_MS = 48 * 3_600_000
const HOUR_MS = 3_600_000
export const RESEND_LIMITS = { perAccountPerHour: 5, perIpPerHour: 20 }

type Deps = {
  db: Kysely<IdentityTables>
  audit: AuditService
  counters: CounterStore
  mail: Pick<MailService, 'send'>
  publicUrl: string
  events: Emits<IdentityEvents>
  now?: () => Date
}

/** Email verification: a single-use link sent at signup (and on request), and the one place a user becomes verified. */
export const createEmailVerification = ({
  db,
  audit,
  counters,
  mail,
  publicUrl,
  events,
  now = () => new Date(),
}: Deps) => {
  /** Sends a new verification link, in the caller's transaction. */
  const issue = async (trx: Kysely<IdentityTables>, user: Pick<User, 'id' | 'email' | 'name'>, ip: string | null) => {
    const token = newSecretToken()
    await authTokens.insert(trx, {
      id: newId('atk'),
      userId: user.id,
      purpose: 'verify_email',
      tokenHash: hashToken(token),
      expiresAt: new Date(now().getTime() + TTL_MS),
    })
    await mail.send(trx, verificationEmail(user, `${publicUrl}/verify-email?token=${encodeURIComponent(token)}`))
    await audit.record(trx, { action: 'auth.verification_sent', actorUserId: user.id, subjectUserId: user.id, ip })
  }

  /** Marks the user verified (once) and emits `email.verified`, in `trx`; `via` says what proved the mailbox. */
  const markVerified = async (
    trx: Kysely<IdentityTables>,
    userId: string,
    via: 'link' | 'password_reset' | 'google',
    ip: string | null,
  ) => {
    if (!(await users.markVerified(trx, userId, now()))) return false
    await events.emit(trx, 'email.verified', { userId })
    await audit.record(trx, {
      action: 'auth.email_verified',
      actorUserId: userId,
      subjectUserId: userId,
      ip,
      metadata: { via },
    })
    return true
  }

  return {
    issue,
    markVerified,

    /** Uses a verification link: single use, enforced by a conditional UPDATE; an expired or used link is a 400. */
    verify: (token: string, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const used = await authTokens.consume(trx, hashToken(token), 'verify_email', now())
        if (!used) throw identityErrors.link_invalid()
        await markVerified(trx, used.userId, 'link', meta.ip)
      }),

    /** Sends the link again; throttled per account and per IP. */
    async resend(userId: string, meta: RequestMeta) {
      const user = await users.byId(db, userId)
      if (!user) throw identityErrors.link_invalid()
      if (user.emailVerifiedAt) throw identityErrors.already_verified()
      const ipHit = await counters.hit(`verify-resend:ip:${ipKey(meta.ip)}`, HOUR_MS)
      if (ipHit.count > RESEND_LIMITS.perIpPerHour)
        throw identityErrors.throttled({ retryAfterSeconds: ipHit.resetMs / 1000, what: 'verification_from_address' })
      const acctHit = await counters.hit(`verify-resend:acct:${user.id}`, HOUR_MS)
      if (acctHit.count > RESEND_LIMITS.perAccountPerHour)
        throw identityErrors.throttled({ retryAfterSeconds: acctHit.resetMs / 1000, what: 'verification_to_account' })
      await db.transaction().execute((trx) => issue(trx, user, meta.ip))
    },

    isVerified: (handle: Handle, userId: string) => users.isVerified(own<IdentityTables>(handle), userId),
    /** Deletes the emailed links (verification and reset) that expired more than a day ago. */
    cleanupExpiredLinks: () => authTokens.deleteExpired(db, new Date(now().getTime() - 86_400_000)),
  }
}
export type EmailVerification = ReturnType<typeof createEmailVerification>
