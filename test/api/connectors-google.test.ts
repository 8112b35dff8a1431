import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts'
import { own } from '../../src/platform/db/database.ts'
import type { ConnectorsTables } from '../../src/modules/connectors/connectors.tables.ts'
import { createGoogleOAuth } from '../../src/modules/connectors/google-oauth.ts'
import { createTokens } from '../../src/modules/connectors/tokens.ts'
import { googleError, startFakeGoogle, type FakeGoogle } from '../fakes/google.ts'
import { addMember, call, createTestContext, login, onboard, type TestContext } from '../harness.ts'

const google = { clientId: 'camarad-connectors-test', clientSecret: 'connectors-test-secret' }
const SECRET_KEY = 'test-secret-key-0123456789-abcdefghijklmnop'
let fake: FakeGoogle
let ctx: TestContext

const MCC = '1111111111'
const CHILD = '2222222222'
const DIRECT = '4444444444'
const DISABLED = '5555555555'
const PROPERTY = '987654321'

beforeAll(async () => {
  fake = await startFakeGoogle(google)
  ctx = await createTestContext({
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_OAUTH_BASE: fake.base,
    GOOGLE_ADS_API_BASE: fake.base,
    GOOGLE_ANALYTICS_API_BASE: fake.base,
    SECRET_KEY,
    // The real catalog: Free allows one connector (the limit test), two clients.
    PLANS_FILE: 'config/plans.json',
  })
  fake.addAccount({ id: MCC, name: 'Agency MCC', manager: true, children: [CHILD, '3333333333'] }, { accessible: true })
  fake.addAccount({ id: CHILD, name: 'Bakery', currency: 'RON' })
  fake.addAccount({ id: '3333333333', name: 'Florist' })
  fake.addAccount({ id: DIRECT, name: 'Direct shop' }, { accessible: true })
  fake.addAccount({ id: DISABLED, name: 'Closed', enabled: false }, { accessible: true })
  // Two campaigns over two days: conversions whose float sum is not exact (0.1 + 0.2), costs beyond 2^53 micros.
  const day = (date: string, id: string, name: string, m: Partial<Parameters<typeof fake.addAdsRows>[0]>) =>
    fake.addAdsRows({
      customerId: CHILD,
      kind: 'campaign',
      id,
      name,
      date,
      impressions: 0,
      clicks: 0,
      costMicros: '0',
      conversions: 0,
      conversionsValue: 0,
      ...m,
    })
  day('2026-11-01', '101', 'Brand', {
    impressions: 1000,
    clicks: 50,
    costMicros: '4503599627370497',
    conversions: 0.1,
    conversionsValue: 10.1,
  })
  day('2026-11-02', '101', 'Brand', {
    impressions: 500,
    clicks: 25,
    costMicros: '12345678',
    conversions: 0.2,
    conversionsValue: 20.2,
  })
  day('2026-11-02', '102', 'Generic', {
    impressions: 3,
    clicks: 1,
    costMicros: '1000001',
    conversions: 0.7,
    conversionsValue: 0,
  })
  // The previous period (Oct 30–31) for the comparison.
  day('2026-10-31', '101', 'Brand', {
    impressions: 10,
    clicks: 2,
    costMicros: '3000000',
    conversions: 1,
    conversionsValue: 5,
  })
  fake.addGaAccount({ account: '555', displayName: 'Bakery GA', properties: [{ id: PROPERTY, name: 'bakery.ro' }] })
  const ga = (dimension: string, value: string, date: string, metrics: Record<string, string>) =>
    fake.addGaRows({ propertyId: PROPERTY, dimension, value, date, metrics })
  ga('date', '', '2026-11-01', { activeUsers: '120', sessions: '150', screenPageViews: '400', keyEvents: '3' })
  ga('date', '', '2026-11-02', { activeUsers: '80', sessions: '90', screenPageViews: '210', keyEvents: '2' })
  ga('eventName', 'session_start', '2026-11-01', { eventCount: '150', totalUsers: '120' })
  ga('eventName', 'view_item', '2026-11-01', { eventCount: '90', totalUsers: '60' })
  ga('eventName', 'add_to_cart', '2026-11-01', { eventCount: '20', totalUsers: '15' })
  ga('eventName', 'purchase', '2026-11-01', { eventCount: '4', totalUsers: '4' })
})
afterAll(async () => {
  await ctx?.close()
  await fake?.close()
})
beforeEach(() => {
  fake.options.consent = 'allow'
  fake.options.refreshDelayMs = 0
  fake.options.rotateRefreshTokens = false
  fake.failures.ads.length = 0
  fake.failures.ga.length = 0
})

type Owner = Awaited<ReturnType<typeof onboard>>
const cookiesOf = (setCookie: string | string[] | undefined) =>
  (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((c) => c.split(';')[0]!)

/** The browser's round trip: our start → Google's consent → back to our callback with the state cookie. */
const connect = async (
  o: { user: { cookie: string }; clientId: string },
  tamper: { callback?: (url: URL) => void; cookie?: (c: string) => string; session?: string } = {},
) => {
  const start = await call(
    ctx.app,
    'POST',
    '/api/connectors/google/start',
    { cookie: o.user.cookie },
    { clientId: o.clientId },
  )
  expect(start.statusCode, start.body).toBe(200)
  const state = cookiesOf(start.headers['set-cookie']).find((c) => c.startsWith('camarad_google_connect='))!
  expect(state).toBeDefined()
  const atGoogle = await fetch(start.json().url, { redirect: 'manual' })
  const callback = new URL(atGoogle.headers.get('location')!)
  tamper.callback?.(callback)
  const cookie = `${tamper.session ?? o.user.cookie}; ${tamper.cookie ? tamper.cookie(state) : state}`
  return call(ctx.app, 'GET', callback.pathname + callback.search, { cookie })
}
const as = (o: Owner) => ({ cookie: o.user.cookie })
const connectionOf = async (o: Owner) => {
  const list = await call(ctx.app, 'GET', `/api/connectors?clientId=${o.clientId}`, as(o))
  return list.json().items[0] as { id: string; status: string; scopes: string[] }
}
const rows = () => own<ConnectorsTables>(ctx.container.db).selectFrom('connectorConnections').selectAll()
const expireInDb = (id: string) =>
  own<ConnectorsTables>(ctx.container.db)
    .updateTable('connectorConnections')
    .set({ accessTokenExpiresAt: new Date(Date.now() - 1000) })
    .where('id', '=', id)
    .execute()
/** A connected client pointed at the MCC's child and the GA4 property. */
const ready = async (label: string) => {
  const o = await onboard(ctx.app, label)
  expect((await connect(o)).statusCode).toBe(302)
  const c = await connectionOf(o)
  const pick = await call(ctx.app, 'PUT', `/api/connectors/${c.id}/ads/account`, as(o), {
    customerId: '222-222-2222',
    loginCustomerId: MCC,
  })
  expect(pick.statusCode, pick.body).toBe(200)
  const prop = await call(ctx.app, 'PUT', `/api/connectors/${c.id}/analytics/property`, as(o), { propertyId: PROPERTY })
  expect(prop.statusCode, prop.body).toBe(200)
  return { ...o, connectionId: c.id }
}
const report = (o: Owner, id: string, q: string) => call(ctx.app, 'GET', `/api/connectors/${id}/ads/report?${q}`, as(o))

describe('connecting Google for a client', () => {
  it('runs the consent round trip and saves a connection with sealed tokens, then lands on the connectors page', async () => {
    const o = await onboard(ctx.app, 'conn-ok')
    const res = await connect(o)
    expect(res.statusCode, res.body).toBe(302)
    expect(res.headers.location).toBe(`/app/clients/${o.clientId}/connectors?connected=google`)
    expect(res.headers['cache-control']).toBe('no-store')
    const c = await connectionOf(o)
    expect(c.status).toBe('connected')
    expect(c.scopes).toContain('https://www.googleapis.com/auth/adwords')
    const row = await rows().where('id', '=', c.id).executeTakeFirstOrThrow()
    expect(row.refreshToken).not.toContain('1//refresh')
    const box = createSecretBox(SECRET_KEY)
    expect(box.open(row.refreshToken!, `connector:${c.id}:refresh`)).toMatch(/^1\/\/refresh\./)
    const audit = await call(ctx.app, 'GET', '/api/audit?action=connector.connected', {
      cookie: o.user.cookie,
      workspaceId: o.workspaceId,
    })
    expect(audit.json().items).toHaveLength(1)
  })

  it('asks Google for offline access, forced consent, PKCE and the Ads and Analytics scopes', async () => {
    const o = await onboard(ctx.app, 'conn-url')
    const start = await call(ctx.app, 'POST', '/api/connectors/google/start', as(o), { clientId: o.clientId })
    const url = new URL(start.json().url)
    expect(url.origin + url.pathname).toBe(`${fake.base}/o/oauth2/v2/auth`)
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      code_challenge_method: 'S256',
      redirect_uri: 'http://camarad.test/api/connectors/google/callback',
      scope: 'https://www.googleapis.com/auth/adwords https://www.googleapis.com/auth/analytics.readonly',
    })
  })

  it('refuses a tampered state, a tampered cookie, a missing cookie and another session, with a no-store page', async () => {
    const o = await onboard(ctx.app, 'conn-tamper')
    const before = await rows().execute()
    const badState = await connect(o, { callback: (u) => u.searchParams.set('state', 'forged-state') })
    const badCookie = await connect(o, {
      cookie: (c) => c.replace(/%22clientId%22|"clientId"/, '"clientld"').replace(/.$/, 'x'),
    })
    const otherSession = await connect(o, { session: await login(ctx.app, o.user) })
    const noCookie = await call(ctx.app, 'GET', '/api/connectors/google/callback?code=x&state=y', as(o))
    for (const [res, status, code] of [
      [badState, 400, 'connectors.state_mismatch'],
      [badCookie, 400, 'connectors.state_invalid'],
      [otherSession, 401, 'connectors.session_changed'],
      [noCookie, 400, 'connectors.state_missing'],
    ] as const) {
      expect(res.statusCode, code).toBe(status)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['content-type']).toContain('text/html')
      expect(res.body).toContain(code)
    }
    expect(await rows().execute()).toHaveLength(before.length)
  })

  it('shows a page when the user declines or the code exchange fails, and saves nothing', async () => {
    const o = await onboard(ctx.app, 'conn-denied')
    fake.options.consent = 'deny'
    const denied = await connect(o)
    expect(denied.statusCode).toBe(400)
    expect(denied.body).toContain('You declined access')
    fake.options.consent = 'allow'
    const exchange = await connect(o, { callback: (u) => u.searchParams.set('code', '4/not-a-code') })
    expect(exchange.statusCode).toBe(502)
    expect(exchange.headers['cache-control']).toBe('no-store')
    expect(exchange.body).toContain('invalid_grant')
    expect((await call(ctx.app, 'GET', `/api/connectors?clientId=${o.clientId}`, as(o))).json().items).toEqual([])
  })

  it('lets only admins start, from a browser session', async () => {
    const o = await onboard(ctx.app, 'conn-roles')
    const member = await addMember(ctx.app, o.user, o.workspaceId, 'member')
    const res = await call(
      ctx.app,
      'POST',
      '/api/connectors/google/start',
      { cookie: member.cookie },
      { clientId: o.clientId },
    )
    expect(res.statusCode).toBe(403)
  })

  it("applies the plan's connectors limit (402), but a reconnect of the client's connection never counts", async () => {
    const o = await onboard(ctx.app, 'conn-limit')
    expect((await connect(o)).statusCode).toBe(302)
    const first = await connectionOf(o)
    const other = await call(
      ctx.app,
      'POST',
      '/api/clients',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { name: 'Second' },
    )
    const refused = await call(ctx.app, 'POST', '/api/connectors/google/start', as(o), { clientId: other.json().id })
    expect(refused.statusCode).toBe(402)
    expect(refused.json().error.code).toBe('plan.limit_reached')
    expect((await connect(o)).statusCode).toBe(302)
    const again = await connectionOf(o)
    expect(again.id).toBe(first.id)
    expect(again.status).toBe('connected')
  })
})

describe('the plan limit at the callback', () => {
  it('shows a 402 page when the last slot was taken while the user was at Google, and saves nothing', async () => {
    const o = await onboard(ctx.app, 'conn-race')
    const start = await call(ctx.app, 'POST', '/api/connectors/google/start', as(o), { clientId: o.clientId })
    expect(start.statusCode).toBe(200)
    const state = cookiesOf(start.headers['set-cookie']).find((c) => c.startsWith('camarad_google_connect='))!
    const atGoogle = await fetch(start.json().url, { redirect: 'manual' })
    const callback = new URL(atGoogle.headers.get('location')!)
    // Meanwhile another client of the workspace takes the Free plan's one connector.
    const other = await call(
      ctx.app,
      'POST',
      '/api/clients',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { name: 'Quicker' },
    )
    expect((await connect({ user: o.user, clientId: other.json().id })).statusCode).toBe(302)
    const res = await call(ctx.app, 'GET', callback.pathname + callback.search, {
      cookie: `${o.user.cookie}; ${state}`,
    })
    expect(res.statusCode).toBe(402)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toContain('plan.limit_reached')
    expect((await call(ctx.app, 'GET', `/api/connectors?clientId=${o.clientId}`, as(o))).json().items).toEqual([])
  })
})

describe('Google Ads through the connection', () => {
  it('lists accessible accounts and a manager’s children (through login-customer-id), naming the unusable ones', async () => {
    const o = await onboard(ctx.app, 'ads-accounts')
    await connect(o)
    const c = await connectionOf(o)
    const res = await call(ctx.app, 'GET', `/api/connectors/${c.id}/ads/accounts`, as(o))
    expect(res.statusCode, res.body).toBe(200)
    const { items, unavailable } = res.json()
    expect(items).toContainEqual(
      expect.objectContaining({ customerId: CHILD, loginCustomerId: MCC, name: 'Bakery', currency: 'RON' }),
    )
    expect(items).toContainEqual(expect.objectContaining({ customerId: MCC, manager: true, loginCustomerId: null }))
    expect(items).toContainEqual(expect.objectContaining({ customerId: DIRECT, loginCustomerId: null }))
    expect(unavailable).toEqual([
      expect.objectContaining({ customerId: DISABLED, code: 'connectors.customer_not_enabled' }),
    ])
    expect(fake.stats.ads.filter((r) => r.path.endsWith(`${MCC}/googleAds:searchStream`)).at(-1)?.loginCustomerId).toBe(
      MCC,
    )
  })

  it('refuses an account the login cannot reach (422) and keeps the pick unchanged', async () => {
    const o = await onboard(ctx.app, 'ads-pick')
    await connect(o)
    const c = await connectionOf(o)
    const res = await call(ctx.app, 'PUT', `/api/connectors/${c.id}/ads/account`, as(o), { customerId: '9999999999' })
    expect(res.statusCode).toBe(422)
    expect(res.json().error.code).toBe('connectors.ads_account_unknown')
  })

  it('reports campaigns with exact int64, micros and conversions, and the previous period', async () => {
    const o = await ready('ads-report')
    const res = await report(o, o.connectionId, 'kind=campaigns&from=2026-11-01&to=2026-11-02&compare=previous')
    expect(res.statusCode, res.body).toBe(200)
    const r = res.json()
    expect(r).toMatchObject({ kind: 'campaigns', customerId: CHILD, currency: 'RON', demo: false })
    expect(r.rows.find((x: { id: string }) => x.id === '101').metrics).toMatchObject({
      impressions: '1500',
      clicks: '75',
      costMicros: '4503599639716175',
      conversions: '0.3',
      conversionsValue: '30.3',
    })
    expect(r.totals).toEqual({
      impressions: '1503',
      clicks: '76',
      costMicros: '4503599640716176',
      conversions: '1',
      conversionsValue: '30.3',
      ctr: '0.0506',
      averageCpcMicros: '59257890009423',
      cpaMicros: '4503599640716176',
      roas: '0.0000',
    })
    expect(r.previous).toEqual({
      range: { from: '2026-10-30', to: '2026-10-31' },
      totals: expect.objectContaining({ costMicros: '3000000', conversions: '1', cpaMicros: '3000000' }),
    })
    const sent = fake.stats.ads.at(-1)!
    expect(sent.loginCustomerId).toBe(MCC)
    expect(sent.query).toContain("WHERE segments.date BETWEEN '2026-10-30' AND '2026-10-31'")
  })

  it('serves a repeated report from the cache without calling Google', async () => {
    const o = await ready('ads-cache')
    const q = 'kind=campaigns&from=2026-11-01&to=2026-11-02'
    expect((await report(o, o.connectionId, q)).json().cached).toBe(false)
    const calls = fake.stats.ads.length
    const again = await report(o, o.connectionId, q)
    expect(again.json().cached).toBe(true)
    expect(fake.stats.ads.length).toBe(calls)
  })

  it("maps Google's errors: quota → 429 with Retry-After, permission → 409, outage → 503", async () => {
    const o = await ready('ads-errors')
    fake.failures.ads.push({
      status: 429,
      body: googleError(429, 'RESOURCE_EXHAUSTED', 'Too many requests', { quotaError: 'RESOURCE_EXHAUSTED' }, '42s'),
    })
    const quota = await report(o, o.connectionId, 'kind=adgroups&from=2026-11-01&to=2026-11-01')
    expect(quota.statusCode).toBe(429)
    expect(quota.headers['retry-after']).toBe('42')
    expect(quota.json().error.code).toBe('connectors.quota')
    fake.failures.ads.push({
      status: 403,
      body: googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission', {
        authorizationError: 'USER_PERMISSION_DENIED',
      }),
    })
    const denied = await report(o, o.connectionId, 'kind=adgroups&from=2026-11-01&to=2026-11-01')
    expect(denied.statusCode).toBe(409)
    expect(denied.json().error.code).toBe('connectors.permission_denied')
    fake.failures.ads.push({
      status: 503,
      body: googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
    })
    const down = await report(o, o.connectionId, 'kind=adgroups&from=2026-11-01&to=2026-11-01')
    expect(down.statusCode).toBe(503)
    expect(down.json().error.code).toBe('connectors.unavailable')
    expect(down.headers['retry-after']).toBeDefined()
  })

  it('refuses a range that ends before it starts or in the future (400)', async () => {
    const o = await ready('ads-range')
    const res = await report(o, o.connectionId, 'from=2026-11-02&to=2026-11-01')
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('connectors.range_invalid')
  })
})

describe('GA4 through the connection', () => {
  it('lists properties from the account summaries and reports an overview and a funnel of event steps', async () => {
    const o = await ready('ga')
    const props = await call(ctx.app, 'GET', `/api/connectors/${o.connectionId}/analytics/properties`, as(o))
    expect(props.json().items).toEqual([
      { propertyId: PROPERTY, name: 'bakery.ro', account: '555', accountName: 'Bakery GA' },
    ])
    const overview = await call(
      ctx.app,
      'GET',
      `/api/connectors/${o.connectionId}/analytics/report?kind=overview&from=2026-11-01&to=2026-11-02`,
      as(o),
    )
    expect(overview.statusCode, overview.body).toBe(200)
    expect(overview.json().totals).toMatchObject({ activeUsers: '200', sessions: '240', keyEvents: '5' })
    expect(overview.json().rows).toHaveLength(2)
    const funnel = await call(
      ctx.app,
      'GET',
      `/api/connectors/${o.connectionId}/analytics/report?kind=funnel&from=2026-11-01&to=2026-11-02&steps=session_start,view_item,add_to_cart,purchase`,
      as(o),
    )
    expect(funnel.json().funnel).toEqual([
      { event: 'session_start', users: '120', fromPrevious: null },
      { event: 'view_item', users: '60', fromPrevious: '0.5000' },
      { event: 'add_to_cart', users: '15', fromPrevious: '0.2500' },
      { event: 'purchase', users: '4', fromPrevious: '0.2667' },
    ])
  })

  it("reports the property's audiences (GA4 audienceName)", async () => {
    const o = await ready('ga-audience')
    const row = (value: string, date: string, activeUsers: string, keyEvents: string) =>
      fake.addGaRows({
        propertyId: PROPERTY,
        dimension: 'audienceName',
        value,
        date,
        metrics: { activeUsers, newUsers: '1', sessions: activeUsers, keyEvents },
      })
    row('Purchasers', '2026-11-01', '12', '3')
    row('Purchasers', '2026-11-02', '8', '2')
    row('All Users', '2026-11-01', '150', '5')
    const res = await call(
      ctx.app,
      'GET',
      `/api/connectors/${o.connectionId}/analytics/report?kind=audience&from=2026-11-01&to=2026-11-02`,
      as(o),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().rows).toEqual(
      expect.arrayContaining([
        {
          dimensions: { audienceName: 'Purchasers' },
          metrics: expect.objectContaining({ activeUsers: '20', keyEvents: '5' }),
        },
        { dimensions: { audienceName: 'All Users' }, metrics: expect.objectContaining({ activeUsers: '150' }) },
      ]),
    )
  })

  it('maps a GA4 quota error to 429 with Retry-After', async () => {
    const o = await ready('ga-quota')
    fake.failures.ga.push({
      status: 429,
      body: googleError(429, 'RESOURCE_EXHAUSTED', 'Exhausted property tokens per day.'),
    })
    const res = await call(
      ctx.app,
      'GET',
      `/api/connectors/${o.connectionId}/analytics/report?kind=pages&from=2026-11-01&to=2026-11-01`,
      as(o),
    )
    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('connectors.quota')
  })
})

describe('tokens', () => {
  it('refreshes an expired token once for 100 concurrent reads, across two token managers (processes)', async () => {
    const o = await ready('refresh-race')
    await expireInDb(o.connectionId)
    fake.options.refreshDelayMs = 100
    const other = createTokens({
      db: own<ConnectorsTables>(ctx.container.db),
      box: createSecretBox(SECRET_KEY),
      oauth: () =>
        createGoogleOAuth({
          ...google,
          oauthBase: fake.base,
          authorizeUrl: `${fake.base}/o/oauth2/v2/auth`,
          redirectUri: 'http://camarad.test/api/connectors/google/callback',
        }),
    })
    const before = fake.stats.refreshes
    const reads = await Promise.all([
      ...Array.from({ length: 80 }, () => report(o, o.connectionId, 'kind=keywords&from=2026-11-01&to=2026-11-02')),
      ...Array.from({ length: 20 }, () =>
        other.accessToken(o.connectionId).then((t) => ({ statusCode: t.token ? 200 : 500 })),
      ),
    ])
    expect(reads.map((r) => r.statusCode)).toEqual(Array(100).fill(200))
    expect(fake.stats.refreshes - before).toBe(1)
  })

  it('keeps the refresh token Google rotates, and refreshes with it next time', async () => {
    const o = await ready('rotation')
    const box = createSecretBox(SECRET_KEY)
    const refreshTokenOf = async () =>
      box.open(
        (await rows().where('id', '=', o.connectionId).executeTakeFirstOrThrow()).refreshToken!,
        `connector:${o.connectionId}:refresh`,
      )
    const first = await refreshTokenOf()
    fake.options.rotateRefreshTokens = true
    await expireInDb(o.connectionId)
    expect((await report(o, o.connectionId, 'kind=adgroups&from=2026-11-03&to=2026-11-03')).statusCode).toBe(200)
    const second = await refreshTokenOf()
    expect(second).not.toBe(first)
    await expireInDb(o.connectionId)
    expect((await report(o, o.connectionId, 'kind=adgroups&from=2026-11-04&to=2026-11-04')).statusCode).toBe(200)
    expect((await connectionOf(o)).status).toBe('connected')
  })

  it('refreshes once and retries when Google rejects a token it had not yet expired (401)', async () => {
    const o = await ready('early-401')
    fake.expireAccessTokens()
    const before = fake.stats.refreshes
    const res = await report(o, o.connectionId, 'kind=campaigns&from=2026-11-05&to=2026-11-05')
    expect(res.statusCode, res.body).toBe(200)
    expect(fake.stats.refreshes - before).toBe(1)
  })

  it('turns invalid_grant into reconnect_required, never retried, until the client reconnects', async () => {
    const o = await ready('invalid-grant')
    fake.revokeAll()
    await expireInDb(o.connectionId)
    const before = fake.stats.refreshes
    const first = await report(o, o.connectionId, 'kind=keywords&from=2026-11-01&to=2026-11-01')
    expect(first.statusCode).toBe(409)
    expect(first.json().error.code).toBe('connectors.reconnect_required')
    const second = await call(ctx.app, 'GET', `/api/connectors/${o.connectionId}/ads/accounts`, as(o))
    expect(second.json().error.code).toBe('connectors.reconnect_required')
    expect(fake.stats.refreshes - before).toBe(1)
    expect((await connectionOf(o)).status).toBe('reconnect_required')
    expect((await connect(o)).statusCode).toBe(302)
    const back = await connectionOf(o)
    expect(back).toMatchObject({ id: o.connectionId, status: 'connected' })
    expect((await call(ctx.app, 'GET', `/api/connectors/${o.connectionId}/ads/accounts`, as(o))).statusCode).toBe(200)
  })
})

describe('disconnecting', () => {
  it('revokes the grant at Google, keeps the connection as disconnected and frees the plan slot', async () => {
    const o = await ready('disconnect')
    const box = createSecretBox(SECRET_KEY)
    const row = await rows().where('id', '=', o.connectionId).executeTakeFirstOrThrow()
    const refreshToken = box.open(row.refreshToken!, `connector:${o.connectionId}:refresh`)
    const res = await call(ctx.app, 'POST', `/api/connectors/${o.connectionId}/disconnect`, as(o))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().status).toBe('disconnected')
    expect(fake.stats.revoked).toContain(refreshToken)
    const after = await rows().where('id', '=', o.connectionId).executeTakeFirstOrThrow()
    expect(after).toMatchObject({ status: 'disconnected', refreshToken: null, accessToken: null, revokePending: false })
    const read = await report(o, o.connectionId, 'kind=campaigns')
    expect(read.json().error.code).toBe('connectors.not_connected')
    // The job finds nothing left to do.
    await ctx.container.jobs
      .find((j) => j.name === 'connectors.revoke-google-grant')!
      .handler({ connectionId: o.connectionId })
    expect((await connect(o)).statusCode).toBe(302)
    expect((await connectionOf(o)).id).not.toBe(o.connectionId)
  })
})

describe('isolation', () => {
  it("never uses a connection under another client, through the API or the module's reports", async () => {
    const o = await ready('isolated')
    const second = await call(
      ctx.app,
      'POST',
      '/api/clients',
      { cookie: o.user.cookie, workspaceId: o.workspaceId },
      { name: 'B' },
    )
    const otherClient = second.json().id as string
    const viaHeader = await call(ctx.app, 'GET', `/api/connectors/${o.connectionId}`, {
      cookie: o.user.cookie,
      headers: { 'x-client-id': otherClient },
    })
    expect(viaHeader.statusCode).toBe(404)
    const stranger = await onboard(ctx.app, 'stranger')
    expect((await report(stranger, o.connectionId, 'kind=campaigns')).statusCode).toBe(404)
    const { reports } = ctx.container.connectors
    await expect(
      reports.ads(
        { workspaceId: o.workspaceId, clientId: otherClient },
        { connectionId: o.connectionId, kind: 'campaigns' },
      ),
    ).rejects.toMatchObject({ code: 'connectors.not_found' })
    await expect(reports.analytics({ workspaceId: o.workspaceId, clientId: otherClient }, {})).rejects.toMatchObject({
      code: 'connectors.not_connected',
    })
    expect((await reports.statusFor({ workspaceId: o.workspaceId, clientId: otherClient })).google).toBeNull()
    expect((await reports.statusFor({ workspaceId: o.workspaceId, clientId: o.clientId })).google?.id).toBe(
      o.connectionId,
    )
  })
})
