import * as oidc from 'openid-client'

/** Ads and Analytics read: what every connection asks for (ADR 0007). */
export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/adwords',
  'https://www.googleapis.com/auth/analytics.readonly',
]

export type GoogleOAuthSettings = {
  clientId: string
  clientSecret: string
  /** Token and revoke endpoints live here (`https://oauth2.googleapis.com`). */
  oauthBase: string
  /** The consent page (`https://accounts.google.com/o/oauth2/v2/auth`). */
  authorizeUrl: string
  /** `${PUBLIC_URL}/api/connectors/google/callback`: the same on every host. */
  redirectUri: string
}

export type GoogleTokens = { accessToken: string; refreshToken?: string; expiresIn: number; scope?: string }

/** How an OAuth call failed: `invalid_grant` is permanent (the grant is gone), the rest may pass. */
export class OAuthFailure extends Error {
  readonly kind: 'invalid_grant' | 'refused' | 'unavailable'
  constructor(kind: 'invalid_grant' | 'refused' | 'unavailable', message: string) {
    super(message)
    this.kind = kind
  }
}

const failure = (err: unknown): OAuthFailure => {
  if (err instanceof oidc.ResponseBodyError)
    return new OAuthFailure(
      err.error === 'invalid_grant' ? 'invalid_grant' : err.status >= 500 ? 'unavailable' : 'refused',
      `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    )
  const e = err as Error & { cause?: { status?: number } }
  return new OAuthFailure('unavailable', e.message)
}

/**
 * Google's OAuth 2.0 endpoints through openid-client (no discovery: Google's endpoints are fixed and the fakes
 * serve them under one base). Authorization code with PKCE (S256), offline access and forced consent so a refresh
 * token is always issued; refresh; revocation.
 */
export const createGoogleOAuth = (settings: GoogleOAuthSettings) => {
  const base = settings.oauthBase.replace(/\/$/, '')
  const config = new oidc.Configuration(
    {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: settings.authorizeUrl,
      token_endpoint: `${base}/token`,
      revocation_endpoint: `${base}/revoke`,
    },
    settings.clientId,
    settings.clientSecret,
  )
  if (base.startsWith('http:') || settings.authorizeUrl.startsWith('http:')) oidc.allowInsecureRequests(config)
  const tokensOf = (t: oidc.TokenEndpointResponse): GoogleTokens => ({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresIn: typeof t.expires_in === 'number' ? t.expires_in : 3600,
    scope: t.scope,
  })

  return {
    async authorizationUrl(state: string, verifier: string) {
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: GOOGLE_SCOPES.join(' '),
        state,
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: 'true',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).href
    },
    /** Exchanges the callback's code (state checked here too, and the PKCE verifier sent). */
    async exchange(callbackUrl: URL, expected: { state: string; verifier: string }) {
      const t = await oidc
        .authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: expected.verifier,
          expectedState: expected.state,
          idTokenExpected: false,
        })
        .catch((err: unknown) => {
          throw failure(err)
        })
      return tokensOf(t)
    },
    async refresh(refreshToken: string) {
      const t = await oidc.refreshTokenGrant(config, refreshToken).catch((err: unknown) => {
        throw failure(err)
      })
      return tokensOf(t)
    },
    /** Revokes the grant at Google; a token Google no longer knows counts as revoked. */
    async revoke(token: string) {
      await oidc.tokenRevocation(config, token).catch((err: unknown) => {
        const f = failure(err)
        if (f.kind === 'unavailable') throw f
      })
    },
  }
}
export type GoogleOAuth = ReturnType<typeof createGoogleOAuth>
