import type { Config } from '../../config.ts'

/** The one callback URL registered at Google: `${PUBLIC_URL}${callbackPath}`, the same on every host. */
export const callbackPath = '/api/connectors/google/callback'
const GOOGLE_OAUTH = 'https://oauth2.googleapis.com'
const GOOGLE_CONSENT = 'https://accounts.google.com/o/oauth2/v2/auth'

export type ConnectorsSettings = {
  /** Google's OAuth client (shared with sign-in); absent: connecting is off. */
  google?: { clientId: string; clientSecret: string }
  oauthBase: string
  authorizeUrl: string
  redirectUri: string
  publicUrl: string
  ads: { base: string; version: string; developerToken?: string }
  analyticsBase?: string
  cacheTtlMs: number
  /** CONNECTORS_DEMO_DATA: a client without a live connection gets labelled demo reports (ADR 0007 §9). */
  demoData: boolean
  secureCookies: boolean
}

/**
 * Settings from the environment. The consent page follows GOOGLE_OAUTH_BASE when that points elsewhere (a fake
 * serves `/o/oauth2/v2/auth` beside `/token`), unless GOOGLE_OAUTH_AUTHORIZE_URL names it.
 */
export const connectorsSettingsFrom = (config: Config): ConnectorsSettings => {
  const oauthBase = (config.GOOGLE_OAUTH_BASE ?? GOOGLE_OAUTH).replace(/\/$/, '')
  return {
    google: config.google ? { clientId: config.google.clientId, clientSecret: config.google.clientSecret } : undefined,
    oauthBase,
    authorizeUrl:
      config.GOOGLE_OAUTH_AUTHORIZE_URL ??
      (config.GOOGLE_OAUTH_BASE ? `${oauthBase}/o/oauth2/v2/auth` : GOOGLE_CONSENT),
    redirectUri: `${config.publicUrl}${callbackPath}`,
    publicUrl: config.publicUrl,
    ads: {
      base: config.GOOGLE_ADS_API_BASE,
      version: config.GOOGLE_ADS_API_VERSION,
      developerToken: config.GOOGLE_ADS_DEVELOPER_TOKEN,
    },
    analyticsBase: config.GOOGLE_ANALYTICS_API_BASE,
    cacheTtlMs: config.CONNECTORS_CACHE_TTL_SECONDS * 1000,
    demoData: config.CONNECTORS_DEMO_DATA,
    secureCookies: config.publicUrl.startsWith('https://'),
  }
}
