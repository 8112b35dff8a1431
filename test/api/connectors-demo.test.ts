import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_AGENTS } from '../../src/modules/agents/agents.catalog.ts'
import { DEMO_NOTICE } from '../../src/modules/connectors/report-digest.ts'
import { startFakeGoogle, type FakeGoogle } from '../fakes/google.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { edge, node } from '../flow-graph.ts'
import { parseSse } from '../sse.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * Demo data (issue 15 §4, ADR 0007 §9): with CONNECTORS_DEMO_DATA on, a client without a live Google connection
 * gets deterministic sample reports marked `demo: true` everywhere (routes, tools, flow nodes); a connected client
 * never does; with the mode off (the default) nothing changes: "not connected".
 */
const google = { clientId: 'camarad-demo-test', clientSecret: 'demo-test-secret' }
const CHILD = '2222222222'
const RANGE = 'from=2026-11-01&to=2026-11-14'
let fake: FakeGoogle
let model: FakeOpenAI
let on: TestContext
let off: TestContext

beforeAll(async () => {
  fake = await startFakeGoogle(google)
  fake.addAccount({ id: CHILD, name: 'Bakery', currency: 'RON' }, { accessible: true })
  fake.addAdsRows({
    customerId: CHILD,
    kind: 'campaign',
    id: '101',
    name: 'Real campaign',
    date: '2026-11-02',
    impressions: 10,
    clicks: 1,
    costMicros: '1000000',
    conversions: 0,
    conversionsValue: 0,
  })
  // A model that asks for the Ads report, then answers as told: with "Demo data" when the result is demo data.
  model = await startFakeOpenAI({
    toolCalls: [{ id: 'call_ads', name: 'ads_report', arguments: '{"from":"2026-11-01","to":"2026-11-14"}' }],
    reply: (body) => {
      const messages = body.messages as { role: string; content: unknown }[]
      const result = messages.find((m) => m.role === 'tool')
      if (!result) return 'Let me pull the report.'
      const r = JSON.parse(String(result.content)) as { totals: { cost: string }; demo: boolean; notice?: string }
      const system = String(messages.find((m) => m.role === 'system')?.content ?? '')
      const label = r.demo && r.notice?.startsWith('Demo data') && system.includes('"Demo data"') ? 'Demo data: ' : ''
      return `${label}cost was ${r.totals.cost} EUR.`
    },
  })
  const env = {
    OPENAI_API_KEY: 'sk-demo',
    OPENAI_BASE_URL: model.url,
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_OAUTH_BASE: fake.base,
    GOOGLE_ADS_API_BASE: fake.base,
    GOOGLE_ANALYTICS_API_BASE: fake.base,
  }
  on = await createTestContext({ ...env, CONNECTORS_DEMO_DATA: 'true' })
  off = await createTestContext(env)
})
afterAll(async () => {
  await on?.close()
  await off?.close()
  await fake?.close()
  await model?.close()
})

type Owner = Awaited<ReturnType<typeof onboard>>
const googleCalls = () => fake.stats.ads.length + fake.stats.ga.length + fake.stats.refreshes
const get = (ctx: TestContext, o: Owner, url: string) => call(ctx.app, 'GET', url, { cookie: o.user.cookie })
const adsOf = (ctx: TestContext, o: Owner, query: string) =>
  get(ctx, o, `/api/connectors/reports/ads?clientId=${o.clientId}&${query}`)
const gaOf = (ctx: TestContext, o: Owner, query: string) =>
  get(ctx, o, `/api/connectors/reports/analytics?clientId=${o.clientId}&${query}`)
const sum = (values: string[]) => values.reduce((n, v) => n + BigInt(v), 0n).toString()

const cookiesOf = (setCookie: string | string[] | undefined) =>
  (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((c) => c.split(';')[0]!)
/** The consent round trip against the fake, as the browser does it. */
const connect = async (ctx: TestContext, o: Owner) => {
  const start = await call(ctx.app, 'POST', '/api/connectors/google/start', o.user, { clientId: o.clientId })
  expect(start.statusCode, start.body).toBe(200)
  const state = cookiesOf(start.headers['set-cookie']).find((c) => c.startsWith('camarad_google_connect='))!
  const callback = new URL((await fetch(start.json().url, { redirect: 'manual' })).headers.get('location')!)
  const back = await call(ctx.app, 'GET', callback.pathname + callback.search, { cookie: `${o.user.cookie}; ${state}` })
  expect(back.statusCode, back.body).toBe(302)
  return (await get(ctx, o, `/api/connectors?clientId=${o.clientId}`)).json().items[0].id as string
}

describe('with demo data on, a client without a connection', () => {
  let o: Owner
  beforeAll(async () => {
    o = await onboard(on.app, 'demo-on')
  })

  it('is listed as demo, with no connection', async () => {
    const list = await get(on, o, `/api/connectors?clientId=${o.clientId}`)
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json()).toEqual({ items: [], demo: true })
    expect(await on.container.connectors.reports.statusFor(o)).toEqual({ google: null, demo: true })
  })

  it('gets Ads campaigns marked demo, stable for the same range, totals that are the rows’ sums, and a previous period', async () => {
    const before = googleCalls()
    const first = await adsOf(on, o, `${RANGE}&compare=previous`)
    expect(first.statusCode, first.body).toBe(200)
    const r = first.json()
    expect(r).toMatchObject({
      kind: 'campaigns',
      customerId: 'demo',
      currency: 'EUR',
      range: { from: '2026-11-01', to: '2026-11-14' },
      previous: { range: { from: '2026-10-18', to: '2026-10-31' } },
      demo: true,
      cached: false,
    })
    const rows = r.rows as { name: string; metrics: Record<string, string> }[]
    expect(rows.length).toBeGreaterThanOrEqual(3)
    for (const m of ['impressions', 'clicks', 'costMicros'] as const)
      expect(r.totals[m]).toBe(sum(rows.map((row) => row.metrics[m]!)))
    expect(BigInt(r.totals.clicks)).toBeGreaterThan(0n)
    expect(BigInt(r.totals.clicks)).toBeLessThan(BigInt(r.totals.impressions))
    expect(r.previous.totals.costMicros).not.toBe(r.totals.costMicros)
    expect((await adsOf(on, o, `${RANGE}&compare=previous`)).body).toBe(first.body)
    // The previous period is the same figures as asking for that range.
    expect((await adsOf(on, o, 'from=2026-10-18&to=2026-10-31')).json().totals).toEqual(r.previous.totals)
    expect(googleCalls()).toBe(before)
  })

  it('gets other numbers than another client, and ad groups and keywords too', async () => {
    const other = await onboard(on.app, 'demo-other')
    const mine = (await adsOf(on, o, RANGE)).json()
    expect((await adsOf(on, other, RANGE)).json().totals).not.toEqual(mine.totals)
    const groups = (await adsOf(on, o, `kind=adgroups&${RANGE}`)).json()
    expect(groups).toMatchObject({ kind: 'adgroups', demo: true })
    // Campaigns are their ad groups' sums.
    expect(groups.totals).toEqual(mine.totals)
    expect(groups.rows[0].parent).toEqual(expect.any(String))
    const keywords = (await adsOf(on, o, `kind=keywords&${RANGE}`)).json()
    expect(keywords).toMatchObject({ kind: 'keywords', demo: true })
    expect(keywords.rows[0].name).toMatch(/\(PHRASE\)$/)
  })

  it('gets every GA4 report kind marked demo: overview by day, pages, sources, events and the funnel', async () => {
    const overview = (await gaOf(on, o, `${RANGE}&compare=previous`)).json()
    expect(overview).toMatchObject({ kind: 'overview', propertyId: 'demo', demo: true, funnel: null })
    expect(overview.rows).toHaveLength(14)
    expect(overview.rows[0].dimensions).toEqual({ date: '20261101' })
    expect(overview.totals.sessions).toBe(
      sum(overview.rows.map((r: { metrics: { sessions: string } }) => r.metrics.sessions)),
    )
    expect(overview.previous.range).toEqual({ from: '2026-10-18', to: '2026-10-31' })
    expect(overview.totals.totalRevenue).toMatch(/^\d+(\.\d{1,2})?$/)
    for (const kind of ['pages', 'sources', 'events']) {
      const r = (await gaOf(on, o, `kind=${kind}&${RANGE}`)).json()
      expect(r).toMatchObject({ kind, demo: true })
      expect(r.rows.length).toBeGreaterThan(3)
    }
    const funnel = (await gaOf(on, o, `kind=funnel&${RANGE}`)).json()
    expect(funnel.funnel.map((s: { event: string }) => s.event)).toEqual([
      'session_start',
      'view_item',
      'add_to_cart',
      'begin_checkout',
      'purchase',
    ])
    expect(funnel.funnel[0].fromPrevious).toBeNull()
    for (const step of funnel.funnel.slice(1)) expect(Number(step.fromPrevious)).toBeLessThan(1)
    const custom = (await gaOf(on, o, `kind=funnel&steps=page_view,purchase&${RANGE}`)).json()
    expect(custom.funnel.map((s: { event: string }) => s.event)).toEqual(['page_view', 'purchase'])
  })

  it('still refuses a range that is not valid (400)', async () => {
    const res = await adsOf(on, o, 'from=2026-11-05&to=2026-11-01')
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('connectors.range_invalid')
  })

  it("is not another workspace's to read (404)", async () => {
    const stranger = await onboard(on.app, 'demo-stranger')
    const res = await get(on, stranger, `/api/connectors/reports/ads?clientId=${o.clientId}&${RANGE}`)
    expect(res.statusCode).toBe(404)
  })

  it('gets demo figures through the agents’ tools and the flow nodes, labelled "Demo data"', async () => {
    const agent = BUILTIN_AGENTS.find((a) => a.id === 'builtin.data-analyst')!
    const tools = on.container.tools.registry.forCall(agent.tools, {
      scope: { userId: o.user.id, workspaceId: o.workspaceId, clientId: o.clientId, role: 'owner' },
      conversationId: 'conv_demo',
      agentId: agent.id,
      emit: () => undefined,
    }) as Record<string, { execute: (input: unknown, opts: unknown) => Promise<Record<string, unknown>> }>
    const ads = await tools.ads_report!.execute({ from: '2026-11-01', to: '2026-11-14' }, { toolCallId: 't' })
    expect(ads).toMatchObject({ source: 'google_ads', customerId: 'demo', demo: true, notice: DEMO_NOTICE })
    expect(String(ads.notice)).toMatch(/^Demo data/)
    const ga = await tools.analytics_report!.execute({ kind: 'funnel', preset: 'last_7_days' }, { toolCallId: 't' })
    expect(ga).toMatchObject({ source: 'google_analytics', demo: true, notice: DEMO_NOTICE })

    const caller: Caller = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
    const graph = {
      nodes: [
        node('start', 'core.manual'),
        node('report', 'google.ads-report', { from: '2026-11-01', to: '2026-11-14' }, 200),
      ],
      edges: [edge('start', 'report')],
    }
    const flow = await call(on.app, 'POST', '/api/flows', caller, { name: 'Demo report', graph })
    expect(flow.statusCode, flow.body).toBe(201)
    expect((await call(on.app, 'POST', `/api/flows/${flow.json().id}/publish`, caller)).statusCode).toBe(200)
    const started = await call(on.app, 'POST', `/api/flows/${flow.json().id}/runs`, caller, { input: {} })
    expect(started.statusCode, started.body).toBe(202)
    await on.container.flows.engine.drain()
    const trace = (await call(on.app, 'GET', `/api/flows/runs/${started.json().runId}`, caller)).json()
    expect(trace.run.status).toBe('completed')
    const step = trace.steps.find((s: { nodeId: string }) => s.nodeId === 'report')
    expect(step.output).toMatchObject({
      demo: true,
      notice: DEMO_NOTICE,
      totals: { cost: (ads.totals as { cost: string }).cost },
    })
  })

  it('lets the agent answer with the figures labelled "Demo data" in chat', async () => {
    const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
    const conv = (
      await call(on.app, 'POST', '/api/chat/conversations', h, { agentId: 'builtin.ppc-specialist' })
    ).json().id as string
    const sent = await call(on.app, 'POST', `/api/chat/conversations/${conv}/messages`, h, { content: 'Spend?' })
    const result = parseSse(sent.body).find((e) => e.event === 'tool-result')!.data as {
      output: { demo: boolean; totals: { cost: string } }
    }
    expect(result.output.demo).toBe(true)
    const saved = (await call(on.app, 'GET', `/api/chat/conversations/${conv}/messages`, h)).json().items.at(-1)
    expect(saved.content).toBe(`Demo data: cost was ${result.output.totals.cost} EUR.`)
  })
})

describe('with demo data on, a connected client', () => {
  it('never gets demo data: its real figures, or what its connection lacks', async () => {
    const o = await onboard(on.app, 'demo-connected')
    const id = await connect(on, o)
    expect((await get(on, o, `/api/connectors?clientId=${o.clientId}`)).json().demo).toBe(false)
    // Connected, but no account picked: said so, not demo numbers.
    const unpicked = await adsOf(on, o, RANGE)
    expect(unpicked.statusCode).toBe(409)
    expect(unpicked.json().error.code).toBe('connectors.ads_account_required')
    const pick = await call(on.app, 'PUT', `/api/connectors/${id}/ads/account`, o.user, { customerId: CHILD })
    expect(pick.statusCode, pick.body).toBe(200)
    const real = await adsOf(on, o, 'from=2026-11-01&to=2026-11-02')
    expect(real.statusCode, real.body).toBe(200)
    expect(real.json()).toMatchObject({ customerId: CHILD, currency: 'RON', demo: false })
    expect(real.json().rows.map((r: { name: string }) => r.name)).toEqual(['Real campaign'])
    expect(await on.container.connectors.reports.statusFor(o)).toMatchObject({ demo: false })
  })
})

describe('with demo data off (the default)', () => {
  it('says "not connected" everywhere, with no demo figures', async () => {
    const o = await onboard(off.app, 'demo-off')
    expect((await get(off, o, `/api/connectors?clientId=${o.clientId}`)).json()).toEqual({ items: [], demo: false })
    for (const res of [await adsOf(off, o, RANGE), await gaOf(off, o, RANGE)]) {
      expect(res.statusCode).toBe(409)
      expect(res.json().error.code).toBe('connectors.not_connected')
    }
    const agent = BUILTIN_AGENTS.find((a) => a.id === 'builtin.ppc-specialist')!
    const tools = off.container.tools.registry.forCall(agent.tools, {
      scope: { userId: o.user.id, workspaceId: o.workspaceId, clientId: o.clientId, role: 'owner' },
      conversationId: 'conv_off',
      agentId: agent.id,
      emit: () => undefined,
    }) as Record<string, { execute: (input: unknown, opts: unknown) => Promise<Record<string, unknown>> }>
    const out = await tools.ads_report!.execute({}, { toolCallId: 't' })
    expect(out).toMatchObject({ connected: false, status: 'not_connected' })
    expect(JSON.stringify(out)).not.toMatch(/demo|totals/i)
  })
})
