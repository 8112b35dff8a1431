import * as oidc from 'openid-client'
import type { Kysely } from 'kysely'
import type { IdentityTables } from './identity.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { identityErrors } from './identity.errors.ts'
import { apiTokens, sessions, users } from './identity.repository.ts'

export type GoogleSettings = { clientId: string; clientSecret: string; issuerUrl: string; redirectUri: string }
export type OidcFlow = { state: string; nonce: string; verifier: string; next: string }

const signInFailed = (reason: string) => identityErrors.google_failed({ reason })

/** Only a relative path on this site may follow a sign-in: never `//host` or an absolute URL. */
export const safeNext = (next: unknown) =>
  typeof next === 'string' && /^\/(?![/\\])[\w\-./?=&%#]*$/.test(next) && next.length <= 300 ? next : '/app'

/**
 * Google sign-in through OpenID Connect (discovery, PKCE, state and nonce checked by openid-client).
 * A Google identity creates or links an account only when Google says the email is verified; linking an account whose
 * email was never verified removes its password, sessions and API tokens.
 */
export const createGoogleSignIn = ({
  db,
  audit,
  settings,
  startSession,
  markVerified,
  now = () => new Date(),
}: {
  db: Kysely<IdentityTables>
  audit: AuditService
  settings: GoogleSettings
  startSession: (userId: string, meta: RequestMeta) => Promise<string>
  markVerified: (trx: Kysely<IdentityTables>, userId: string, via: 'google', ip: string | null) => Promise<boolean>
  now?: () => Date
}) => {
  let config: Promise<oidc.Configuration> | undefined
  const discover = () =>
    (config ??= oidc
      .discovery(
        new URL(settings.issuerUrl),
        settings.clientId,
        settings.clientSecret,
        undefined,
        new URL(settings.issuerUrl).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        config = undefined
        throw err
      }))

  return {
    async begin(next: unknown): Promise<{ url: string; flow: OidcFlow }> {
      const flow = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        next: safeNext(next),
      }
      const url = oidc.buildAuthorizationUrl(await discover(), {
        redirect_uri: settings.redirectUri,
        scope: 'openid email profile',
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
      })
      return { url: url.href, flow }
    },

    async complete(callbackUrl: URL, flow: OidcFlow, meta: RequestMeta) {
      const tokens = await oidc
        .authorizationCodeGrant(await discover(), callbackUrl, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        })
        .catch((err: Error) => {
          throw signInFailed(err.message)
        })
      const claims = tokens.claims()
      const email = typeof claims?.email === 'string' ? claims.email.toLowerCase() : undefined
      if (!claims?.sub || !email) throw signInFailed('Google did not share an email address.')
      const sub = claims.sub
      let user = await users.byGoogleSub(db, sub)
      if (!user) {
        // Creating or linking an account needs Google's word that the person owns this mailbox.
        if (claims.email_verified !== true) throw signInFailed('this email is not verified with Google.')
        const byEmail = await users.byEmail(db, email)
        user = await db.transaction().execute(async (trx) => {
          if (!byEmail) {
            const created = await users.insert(trx, {
              id: newId('usr'),
              email,
              name: typeof claims.name === 'string' ? claims.name.slice(0, 100) : email,
              passwordHash: null,
              googleSub: sub,
            })
            await markVerified(trx, created.id, 'google', meta.ip)
            return created
          }
          // An account whose email was never verified may have been planted by someone else with this address: the
          // Google identity proves the mailbox, the password did not, so the password goes and so does every way in.
          const planted = !byEmail.emailVerifiedAt
          const linked = await users.update(
            trx,
            byEmail.id,
            planted ? { googleSub: sub, passwordHash: null } : { googleSub: sub },
          )
          if (planted) {
            await sessions.deleteAllOfUser(trx, byEmail.id)
            await apiTokens.revokeAllOfUser(trx, byEmail.id, now())
            await markVerified(trx, byEmail.id, 'google', meta.ip)
          }
          await audit.record(trx, {
            action: 'auth.google_linked',
            actorUserId: byEmail.id,
            subjectUserId: byEmail.id,
            ip: meta.ip,
            metadata: { passwordRemoved: planted && byEmail.passwordHash !== null },
          })
          return linked
        })
      }
      const sessionToken = await startSession(user.id, meta)
      await audit.record(db, {
        action: 'auth.login',
        actorUserId: user.id,
        subjectUserId: user.id,
        ip: meta.ip,
        metadata: { method: 'google' },
      })
      return { sessionToken, next: flow.next }
    },
  }
}
export type GoogleSignIn = ReturnType<typeof createGoogleSignIn>
