import { AppError } from '../../platform/http/errors.ts'
import type { ConnectorsSettings } from './connectors.settings.ts'
import { adsQuery, createGoogleAds } from './google-ads.ts'
import { analyticsBases } from './google-analytics.ts'
import { GoogleApiError, googleJson } from './google-http.ts'
import { createGoogleOAuth, OAuthFailure } from './google-oauth.ts'
import type { Range } from './report-range.ts'

/**
 * The confidence run behind `npm run confidence` (issue 15 §10): N attempts, each refreshing the access token,
 * listing the accessible Ads accounts and running a report (Ads campaigns, and GA4's overview when a property is
 * named) against the configured Google — the real one, or the fakes through `GOOGLE_*_BASE`. Google's passing
 * failures (502, 503, 504, a network error) are retried with backoff; 401 and 404 (and a refused grant) say the
 * setup is wrong, so the run stops at once; anything else fails that attempt.
 */
export type ConfidenceOptions = {
  attempts: number
  settings: Pick<ConnectorsSettings, 'ads' | 'analyticsBase'>
  /** A new access token for each attempt (a refresh at Google's token endpoint). */
  refresh: () => Promise<string>
  /** The Ads account to report on (default: the first accessible one); a GA4 property to report on too. */
  target: { customerId?: string; loginCustomerId?: string | null; propertyId?: string }
  range: Range
  log: (line: string) => void
  backoffMs?: number
  maxRetries?: number
  sleep?: (ms: number) => Promise<void>
}
export type ConfidenceResult = { passed: number; attempts: number; stopped: string | null }

const RETRYABLE = new Set([502, 503, 504])
const FATAL = new Set([401, 404])
const MAX_DELAY_MS = 30_000

/** What a failure means for the run: try the step again, stop everything, or fail this attempt only. */
const classify = (err: unknown): { verdict: 'retry' | 'fatal' | 'fail'; what: string; retryAfterMs?: number } => {
  if (err instanceof GoogleApiError) {
    const what = `${err.httpStatus} ${err.status}: ${err.message}`
    if (RETRYABLE.has(err.httpStatus))
      return { verdict: 'retry', what, retryAfterMs: err.retryAfter ? err.retryAfter * 1000 : undefined }
    return { verdict: FATAL.has(err.httpStatus) ? 'fatal' : 'fail', what }
  }
  if (err instanceof OAuthFailure)
    return {
      verdict: err.kind === 'unavailable' ? 'retry' : 'fatal',
      what: `token endpoint ${err.kind}: ${err.message}`,
    }
  if (err instanceof AppError) {
    const what = `${err.code}: ${err.message}`
    if (err.code === 'connectors.unavailable') return { verdict: 'retry', what }
    if (err.code === 'connectors.reconnect_required' || err.code === 'connectors.not_connected')
      return { verdict: 'fatal', what }
    return { verdict: 'fail', what }
  }
  return { verdict: 'fail', what: err instanceof Error ? err.message : String(err) }
}

class Stop extends Error {}

export const runConfidence = async (o: ConfidenceOptions): Promise<ConfidenceResult> => {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const backoff = o.backoffMs ?? 1000
  const maxRetries = o.maxRetries ?? 4
  const adsApi = `${o.settings.ads.base.replace(/\/$/, '')}/${o.settings.ads.version}`
  const devToken = o.settings.ads.developerToken ? { 'developer-token': o.settings.ads.developerToken } : undefined

  /** One step, retried on Google's passing failures; a fatal failure stops the whole run. */
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    for (let retry = 0; ; retry++) {
      try {
        return await run()
      } catch (err) {
        const c = classify(err)
        if (c.verdict === 'retry' && retry < maxRetries) {
          const delay = Math.min(MAX_DELAY_MS, Math.max(backoff * 2 ** retry, c.retryAfterMs ?? 0))
          o.log(`  ${name}: ${c.what} — retrying in ${delay} ms`)
          await sleep(delay)
          continue
        }
        if (c.verdict === 'fatal') throw new Stop(`${name}: ${c.what} — not retried`, { cause: err })
        throw new Error(`${name}: ${c.what}${c.verdict === 'retry' ? ` (after ${retry} retries)` : ''}`, {
          cause: err,
        })
      }
    }
  }

  const attempt = async () => {
    const token = await step('refresh', o.refresh)
    const ads = createGoogleAds({ settings: o.settings.ads, tokens: { withToken: (_id, call) => call(token) } })
    const listed = (await step('accounts', () =>
      googleJson(`${adsApi}/customers:listAccessibleCustomers`, { accessToken: token, headers: devToken }),
    )) as { resourceNames?: string[] }
    const accessible = (listed.resourceNames ?? []).map((n) => n.replace(/^customers\//, ''))
    const customerId = o.target.customerId ?? accessible[0]
    if (!customerId) throw new Stop('accounts: this login reaches no Google Ads account (name one with --customer)')
    const login = o.target.customerId ? (o.target.loginCustomerId ?? null) : null
    const rows = await step('ads report', () =>
      ads.search('confidence', customerId, login, adsQuery('campaigns', o.range)),
    )
    let ga = ''
    if (o.target.propertyId) {
      const url = `${analyticsBases(o.settings.analyticsBase).data}/v1beta/properties/${o.target.propertyId}:runReport`
      const answer = (await step('ga4 report', () =>
        googleJson(url, {
          method: 'POST',
          accessToken: token,
          body: {
            dateRanges: [{ startDate: o.range.from, endDate: o.range.to }],
            dimensions: [{ name: 'date' }],
            metrics: [{ name: 'activeUsers' }, { name: 'sessions' }],
          },
        }),
      )) as { rows?: unknown[] }
      ga = `, GA4 property ${o.target.propertyId}: ${answer.rows?.length ?? 0} days`
    }
    return `${accessible.length} accessible accounts, Ads ${customerId}: ${rows.length} campaigns${ga}`
  }

  let passed = 0
  for (let i = 1; i <= o.attempts; i++) {
    try {
      const summary = await attempt()
      passed++
      o.log(`attempt ${i}/${o.attempts}: passed (${summary})`)
    } catch (err) {
      o.log(`attempt ${i}/${o.attempts}: failed — ${(err as Error).message}`)
      if (err instanceof Stop) {
        o.log(`stopped: the remaining ${o.attempts - i} attempts would fail the same way`)
        o.log(`confidence: ${passed}/${o.attempts} passed`)
        return { passed, attempts: o.attempts, stopped: err.message }
      }
    }
  }
  o.log(`confidence: ${passed}/${o.attempts} passed`)
  return { passed, attempts: o.attempts, stopped: null }
}

/** Refreshes with a bare refresh token (no stored connection) through the configured token endpoint. */
export const refreshWith = (settings: ConnectorsSettings, refreshToken: string) => {
  if (!settings.google) throw new Error('GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are needed to refresh a token.')
  const oauth = createGoogleOAuth({
    clientId: settings.google.clientId,
    clientSecret: settings.google.clientSecret,
    oauthBase: settings.oauthBase,
    authorizeUrl: settings.authorizeUrl,
    redirectUri: settings.redirectUri,
  })
  return async () => (await oauth.refresh(refreshToken)).accessToken
}
