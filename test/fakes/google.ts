import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { json } from './http-kit.ts'

/**
 * A loopback Google speaking the real wire formats Camarad uses: OAuth 2.0 (consent redirect, `/token` for
 * authorization_code with a PKCE S256 check and for refresh_token, `invalid_grant`, `/revoke`), the Google Ads REST API
 * (`customers:listAccessibleCustomers`, `googleAds:searchStream` answering a JSON array of batches, with
 * `login-customer-id` enforced for a manager's children, and Google's error envelope), and GA4's Data API `runReport`
 * and Admin API `accountSummaries` under one base (their paths do not overlap).
 */

export type FakeAdsAccount = {
  id: string
  name: string
  manager?: boolean
  currency?: string
  enabled?: boolean
  /** A manager's direct children (reachable with login-customer-id = this id). */
  children?: string[]
}
/** One day of one ad resource's metrics, as the Ads API would aggregate them. */
export type FakeAdsRow = {
  customerId: string
  kind: 'campaign' | 'ad_group' | 'keyword_view'
  id: string
  name: string
  parent?: string
  /** The day, or how to work it out when asked: a row relative to today stays right across midnight. */
  date: FakeDay
  impressions: number
  clicks: number
  costMicros: string
  conversions: number
  conversionsValue: number
}
/** One day of GA4 figures for one value of one dimension (a `date` row's value is its day). */
export type FakeGaRow = {
  propertyId: string
  dimension: string
  value: string
  date: FakeDay
  metrics: Record<string, string>
}
export type FakeDay = string | (() => string)
const dayOf = (r: { date: FakeDay }) => (typeof r.date === 'function' ? r.date() : r.date)
type Failure = { status: number; body: unknown; headers?: Record<string, string> }

const form = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return Object.fromEntries(new URLSearchParams(raw))
}
const body = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
}
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url')
const token = (prefix: string) => `${prefix}.${randomBytes(12).toString('base64url')}`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Google's error envelope; the Ads API adds a GoogleAdsFailure with the precise error code. */
export const googleError = (
  code: number,
  status: string,
  message: string,
  adsErrorCode?: Record<string, string>,
  retryDelay?: string,
) => ({
  error: {
    code,
    message,
    status,
    details: adsErrorCode
      ? [
          {
            '@type': 'type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure',
            errors: [
              {
                errorCode: adsErrorCode,
                message,
                ...(retryDelay ? { details: { quotaErrorDetails: { rateScope: 'ACCOUNT', retryDelay } } } : {}),
              },
            ],
            requestId: randomBytes(8).toString('hex'),
          },
        ]
      : [],
  },
})

export const startFakeGoogle = async (client: { clientId: string; clientSecret: string }) => {
  let base = ''
  const codes = new Map<string, { challenge: string; redirectUri: string; scope: string }>()
  const refreshTokens = new Map<string, { revoked: boolean }>()
  const accessTokens = new Map<string, { refreshToken: string; expiresAt: number }>()
  const accounts = new Map<string, FakeAdsAccount>()
  let accessible: string[] = []
  const adsRows: FakeAdsRow[] = []
  const gaRows: FakeGaRow[] = []
  const gaAccounts: { account: string; displayName: string; properties: { id: string; name: string }[] }[] = []
  const failures = { ads: [] as Failure[], ga: [] as Failure[] }
  const stats = {
    refreshes: 0,
    exchanges: 0,
    revoked: [] as string[],
    ads: [] as { path: string; loginCustomerId?: string; query?: string }[],
    ga: [] as { path: string; body?: unknown }[],
  }
  const options = {
    accessTtlSeconds: 3600,
    refreshDelayMs: 0,
    rotateRefreshTokens: false,
    consent: 'allow' as 'allow' | 'deny',
  }

  const clientAuth = (req: IncomingMessage, f: Record<string, string>) => {
    const basic = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':').map(decodeURIComponent)
      : undefined
    const [id, secret] = basic ?? [f.client_id, f.client_secret]
    return id === client.clientId && secret === client.clientSecret
  }
  const issue = (refreshToken: string) => {
    const accessToken = token('ya29')
    accessTokens.set(accessToken, { refreshToken, expiresAt: Date.now() + options.accessTtlSeconds * 1000 })
    return accessToken
  }
  const bearer = (req: IncomingMessage) => {
    const t = req.headers.authorization?.replace(/^Bearer /, '') ?? ''
    const a = accessTokens.get(t)
    return a && a.expiresAt > Date.now() && !refreshTokens.get(a.refreshToken)?.revoked
  }
  const unauthenticated = googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')

  const inRange = (date: string, q: string) => {
    const m = /segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'/.exec(q)
    return m ? date >= m[1]! && date <= m[2]! : true
  }
  /** Aggregates the fake's daily rows per resource over the query's range, in the REST API's JSON shape. */
  const adsResults = (customerId: string, query: string) => {
    const from = /\bFROM\s+(\w+)/i.exec(query)?.[1]
    const account = accounts.get(customerId)!
    if (from === 'customer_client') {
      const level0 = { id: account.id, descriptiveName: account.name, manager: Boolean(account.manager), level: '0' }
      const children = (account.children ?? []).map((c) => accounts.get(c)!)
      return [
        level0,
        ...children.map((c) => ({ id: c.id, descriptiveName: c.name, manager: Boolean(c.manager), level: '1' })),
      ].map((c) => ({
        customerClient: {
          resourceName: `customers/${account.id}/customerClients/${c.id}`,
          clientCustomer: `customers/${c.id}`,
          ...c,
          currencyCode: accounts.get(c.id)?.currency ?? 'EUR',
          timeZone: 'Europe/Bucharest',
          status: 'ENABLED',
        },
      }))
    }
    const groups = new Map<string, FakeAdsRow[]>()
    for (const r of adsRows)
      if (r.customerId === customerId && r.kind === from && inRange(dayOf(r), query))
        groups.set(r.id, [...(groups.get(r.id) ?? []), r])
    return [...groups.values()].map((rows) => {
      const r = rows[0]!
      const impressions = rows.reduce((n, x) => n + x.impressions, 0)
      const clicks = rows.reduce((n, x) => n + x.clicks, 0)
      const cost = rows.reduce((n, x) => n + BigInt(x.costMicros), 0n)
      // Google sums in doubles too: the fake answers what a float sum gives, the consumer must not add error.
      const conversions = rows.reduce((n, x) => n + x.conversions, 0)
      const value = rows.reduce((n, x) => n + x.conversionsValue, 0)
      const metrics: Record<string, unknown> = {}
      // proto3 JSON leaves zero values out.
      if (impressions) metrics.impressions = String(impressions)
      if (clicks) metrics.clicks = String(clicks)
      if (cost) metrics.costMicros = cost.toString()
      if (conversions) metrics.conversions = conversions
      if (value) metrics.conversionsValue = value
      if (impressions) metrics.ctr = clicks / impressions
      if (clicks) metrics.averageCpc = Number(cost) / clicks
      const resource =
        r.kind === 'campaign'
          ? {
              campaign: {
                resourceName: `customers/${customerId}/campaigns/${r.id}`,
                id: r.id,
                name: r.name,
                status: 'ENABLED',
              },
            }
          : r.kind === 'ad_group'
            ? {
                adGroup: {
                  resourceName: `customers/${customerId}/adGroups/${r.id}`,
                  id: r.id,
                  name: r.name,
                  status: 'ENABLED',
                },
                campaign: { resourceName: `customers/${customerId}/campaigns/1`, name: r.parent ?? '' },
              }
            : {
                adGroupCriterion: {
                  resourceName: `customers/${customerId}/adGroupCriteria/1~${r.id}`,
                  criterionId: r.id,
                  status: 'ENABLED',
                  keyword: { text: r.name, matchType: 'PHRASE' },
                },
                adGroup: { resourceName: `customers/${customerId}/adGroups/1`, name: r.parent ?? '' },
              }
      return {
        ...resource,
        customer: { resourceName: `customers/${customerId}`, currencyCode: account.currency ?? 'EUR' },
        metrics,
      }
    })
  }

  const runReport = (propertyId: string, b: Record<string, unknown>) => {
    const range = (b.dateRanges as { startDate: string; endDate: string }[])[0]!
    const dimension = (b.dimensions as { name: string }[])[0]!.name
    const metrics = (b.metrics as { name: string }[]).map((m) => m.name)
    const only = (b.dimensionFilter as { filter?: { inListFilter?: { values: string[] } } } | undefined)?.filter
      ?.inListFilter?.values
    const groups = new Map<string, Record<string, number>>()
    for (const r of gaRows) {
      const day = dayOf(r)
      if (r.propertyId !== propertyId || day < range.startDate || day > range.endDate) continue
      if (r.dimension !== dimension) continue
      const value = dimension === 'date' ? day.replace(/-/g, '') : r.value
      if (only && !only.includes(value)) continue
      const g = groups.get(value) ?? {}
      for (const m of metrics) g[m] = (g[m] ?? 0) + Number(r.metrics[m] ?? 0)
      groups.set(value, g)
    }
    const rows = [...groups.entries()].map(([value, g]) => ({
      dimensionValues: [{ value }],
      metricValues: metrics.map((m) => ({ value: String(g[m] ?? 0) })),
    }))
    const totals = metrics.map((m) => ({
      value: String([...groups.values()].reduce((n, g) => n + (g[m] ?? 0), 0)),
    }))
    return {
      dimensionHeaders: [{ name: dimension }],
      metricHeaders: metrics.map((name) => ({ name, type: 'TYPE_INTEGER' })),
      ...(rows.length
        ? { rows, totals: [{ dimensionValues: [{ value: 'RESERVED_TOTAL' }], metricValues: totals }] }
        : {}),
      rowCount: rows.length,
      metadata: { currencyCode: 'EUR', timeZone: 'Europe/Bucharest' },
      kind: 'analyticsData#runReport',
    }
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base)
    const path = url.pathname
    try {
      if (path === '/o/oauth2/v2/auth') {
        const p = url.searchParams
        if (
          p.get('client_id') !== client.clientId ||
          p.get('code_challenge_method') !== 'S256' ||
          p.get('response_type') !== 'code'
        )
          return json(res, 400, { error: 'invalid_request' })
        const back = new URL(p.get('redirect_uri')!)
        if (options.consent === 'deny') back.searchParams.set('error', 'access_denied')
        else {
          const code = `4/${randomBytes(16).toString('base64url')}`
          codes.set(code, {
            challenge: p.get('code_challenge') ?? '',
            redirectUri: back.href,
            scope: p.get('scope') ?? '',
          })
          back.searchParams.set('code', code)
          back.searchParams.set('scope', p.get('scope') ?? '')
        }
        back.searchParams.set('state', p.get('state') ?? '')
        res.writeHead(302, { location: back.href }).end()
        return
      }
      if (path === '/token' && req.method === 'POST') {
        const f = await form(req)
        if (!clientAuth(req, f))
          return json(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' })
        if (f.grant_type === 'authorization_code') {
          stats.exchanges++
          const c = codes.get(f.code ?? '')
          codes.delete(f.code ?? '')
          if (!c || c.redirectUri !== f.redirect_uri || s256(f.code_verifier ?? '') !== c.challenge)
            return json(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' })
          const refreshToken = token('1//refresh')
          refreshTokens.set(refreshToken, { revoked: false })
          return json(res, 200, {
            access_token: issue(refreshToken),
            expires_in: options.accessTtlSeconds,
            refresh_token: refreshToken,
            scope: c.scope,
            token_type: 'Bearer',
          })
        }
        if (f.grant_type === 'refresh_token') {
          stats.refreshes++
          if (options.refreshDelayMs) await sleep(options.refreshDelayMs)
          const r = refreshTokens.get(f.refresh_token ?? '')
          if (!r || r.revoked)
            return json(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' })
          let refreshToken = f.refresh_token!
          if (options.rotateRefreshTokens) {
            r.revoked = true
            refreshToken = token('1//refresh')
            refreshTokens.set(refreshToken, { revoked: false })
          }
          return json(res, 200, {
            access_token: issue(refreshToken),
            expires_in: options.accessTtlSeconds,
            ...(options.rotateRefreshTokens ? { refresh_token: refreshToken } : {}),
            scope: 'https://www.googleapis.com/auth/adwords https://www.googleapis.com/auth/analytics.readonly',
            token_type: 'Bearer',
          })
        }
        return json(res, 400, { error: 'unsupported_grant_type' })
      }
      if (path === '/revoke' && req.method === 'POST') {
        const f = await form(req)
        const t = f.token ?? url.searchParams.get('token') ?? ''
        const r = refreshTokens.get(t) ?? refreshTokens.get(accessTokens.get(t)?.refreshToken ?? '')
        if (!r || r.revoked)
          return json(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' })
        r.revoked = true
        stats.revoked.push(t)
        return json(res, 200, {})
      }
      const ads = /^\/v\d+\/customers(?::listAccessibleCustomers|\/(\d+)\/googleAds:searchStream)$/.exec(path)
      if (ads) {
        const login = req.headers['login-customer-id'] as string | undefined
        const b = req.method === 'POST' ? await body(req) : {}
        stats.ads.push({ path, loginCustomerId: login, query: b.query as string | undefined })
        if (!bearer(req)) return json(res, 401, unauthenticated)
        const failure = failures.ads.shift()
        if (failure) return json(res, failure.status, failure.body, failure.headers)
        if (!ads[1]) return json(res, 200, { resourceNames: accessible.map((id) => `customers/${id}`) })
        const customerId = ads[1]
        const account = accounts.get(customerId)
        // Reachable directly, or as a child of the manager named in login-customer-id.
        const viaManager =
          login &&
          accessible.includes(login) &&
          (login === customerId || accounts.get(login)?.children?.includes(customerId))
        if (!account || (!accessible.includes(customerId) && !viaManager) || (login && !viaManager))
          return json(
            res,
            403,
            googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission', {
              authorizationError: 'USER_PERMISSION_DENIED',
            }),
          )
        if (account.enabled === false)
          return json(
            res,
            403,
            googleError(
              403,
              'PERMISSION_DENIED',
              "The customer account can't be accessed because it is not yet enabled or has been deactivated.",
              { authorizationError: 'CUSTOMER_NOT_ENABLED' },
            ),
          )
        const results = adsResults(customerId, String(b.query ?? ''))
        // searchStream: an array of batches (here up to 2 rows each, to exercise the batching).
        const batches = []
        for (let i = 0; i < Math.max(1, results.length); i += 2)
          batches.push({
            results: results.slice(i, i + 2),
            fieldMask: 'metrics.clicks',
            requestId: randomBytes(6).toString('hex'),
          })
        return json(res, 200, batches)
      }
      if (path === '/v1beta/accountSummaries') {
        stats.ga.push({ path })
        if (!bearer(req)) return json(res, 401, unauthenticated)
        const failure = failures.ga.shift()
        if (failure) return json(res, failure.status, failure.body, failure.headers)
        return json(res, 200, {
          accountSummaries: gaAccounts.map((a) => ({
            name: `accountSummaries/${a.account}`,
            account: `accounts/${a.account}`,
            displayName: a.displayName,
            propertySummaries: a.properties.map((p) => ({
              property: `properties/${p.id}`,
              displayName: p.name,
              propertyType: 'PROPERTY_TYPE_ORDINARY',
              parent: `accounts/${a.account}`,
            })),
          })),
        })
      }
      const ga = /^\/v1beta\/properties\/(\d+):runReport$/.exec(path)
      if (ga && req.method === 'POST') {
        const b = await body(req)
        stats.ga.push({ path, body: b })
        if (!bearer(req)) return json(res, 401, unauthenticated)
        const failure = failures.ga.shift()
        if (failure) return json(res, failure.status, failure.body, failure.headers)
        if (!gaAccounts.some((a) => a.properties.some((p) => p.id === ga[1])))
          return json(
            res,
            403,
            googleError(403, 'PERMISSION_DENIED', 'User does not have sufficient permissions for this property.'),
          )
        return json(res, 200, runReport(ga[1]!, b))
      }
      json(res, 404, googleError(404, 'NOT_FOUND', `No route ${req.method} ${path}`))
    } catch (err) {
      json(res, 500, googleError(500, 'INTERNAL', (err as Error).message))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  return {
    get base() {
      return base
    },
    stats,
    options,
    failures,
    addAccount: (a: FakeAdsAccount, options: { accessible?: boolean } = {}) => {
      accounts.set(a.id, a)
      if (options.accessible) accessible = [...accessible, a.id]
    },
    addAdsRows: (...rows: FakeAdsRow[]) => adsRows.push(...rows),
    addGaAccount: (a: (typeof gaAccounts)[number]) => gaAccounts.push(a),
    addGaRows: (...rows: FakeGaRow[]) => gaRows.push(...rows),
    /** A refresh token for a grant made elsewhere (what a person pastes into `npm run confidence`). */
    issueRefreshToken: () => {
      const refreshToken = token('1//refresh')
      refreshTokens.set(refreshToken, { revoked: false })
      return refreshToken
    },
    /** Revokes every grant, as a user removing Camarad's access in their Google account does. */
    revokeAll: () => {
      for (const r of refreshTokens.values()) r.revoked = true
    },
    /** Expires every access token now (the next API call gets 401 until a refresh). */
    expireAccessTokens: () => {
      for (const a of accessTokens.values()) a.expiresAt = 0
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
export type FakeGoogle = Awaited<ReturnType<typeof startFakeGoogle>>
