import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { own } from '../../src/platform/db/database.ts'
import type { ConnectorsTables } from '../../src/modules/connectors/connectors.tables.ts'
import { presetRange } from '../../src/modules/connectors/report-digest.ts'
import { BUILTIN_AGENTS } from '../../src/modules/agents/agents.catalog.ts'
import { startFakeGoogle, type FakeGoogle } from '../fakes/google.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { parseSse } from '../sse.ts'
import { edge, node } from '../flow-graph.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * The agents' `ads_report` / `analytics_report` tools and the flows' "Ads report" / "Analytics report" nodes read
 * the conversation's or run's client's Google connection (issue 15 §6, §9) — never another client's, never invented.
 */
const google = { clientId: 'camarad-tools-test', clientSecret: 'tools-test-secret' }
const MCC = '1111111111'
const CHILD = '2222222222'
const PROPERTY = '987654321'
let fake: FakeGoogle
let model: FakeOpenAI
let ctx: TestContext

beforeAll(async () => {
  fake = await startFakeGoogle(google)
  // A model that asks for last week's Ads figures, then answers from what the tool returned.
  model = await startFakeOpenAI({
    toolCalls: [
      { id: 'call_ads', name: 'ads_report', arguments: '{"from":"2026-11-01","to":"2026-11-02","compare":true}' },
    ],
    reply: (body) => {
      const result = (body.messages as { role: string; content: unknown }[]).find((m) => m.role === 'tool')
      if (!result) return 'Let me pull the report.'
      const r = JSON.parse(String(result.content)) as {
        range: { from: string; to: string }
        totals: { cpa: string }
        previous: { totals: { cpa: string } }
        currency: string
      }
      return `CPA was ${r.totals.cpa} ${r.currency} from ${r.range.from} to ${r.range.to}, up from ${r.previous.totals.cpa}.`
    },
  })
  ctx = await createTestContext({
    OPENAI_API_KEY: 'sk-tools',
    OPENAI_BASE_URL: model.url,
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_OAUTH_BASE: fake.base,
    GOOGLE_ADS_API_BASE: fake.base,
    GOOGLE_ANALYTICS_API_BASE: fake.base,
  })
  fake.addAccount({ id: MCC, name: 'Agency MCC', manager: true, children: [CHILD] }, { accessible: true })
  fake.addAccount({ id: CHILD, name: 'Bakery', currency: 'RON' })
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
  day('2026-11-01', '101', 'Brand', { impressions: 1000, clicks: 50, costMicros: '40000000', conversions: 2 })
  day('2026-11-02', '101', 'Brand', { impressions: 500, clicks: 25, costMicros: '20000000', conversions: 1 })
  day('2026-11-02', '102', 'Generic', {
    impressions: 300,
    clicks: 30,
    costMicros: '90500000',
    conversions: 0.5,
    conversionsValue: 12.25,
  })
  day('2026-10-31', '101', 'Brand', { impressions: 10, clicks: 2, costMicros: '3000000', conversions: 1 })
  fake.addGaAccount({ account: '555', displayName: 'Bakery GA', properties: [{ id: PROPERTY, name: 'bakery.ro' }] })
  const ga = (date: string, metrics: Record<string, string>) =>
    fake.addGaRows({ propertyId: PROPERTY, dimension: 'date', value: '', date, metrics })
  ga('2026-11-01', { activeUsers: '120', sessions: '150', screenPageViews: '400', keyEvents: '3' })
  ga('2026-11-02', { activeUsers: '80', sessions: '90', screenPageViews: '210', keyEvents: '2' })
  ga('2026-10-31', { activeUsers: '10', sessions: '11', screenPageViews: '12', keyEvents: '1' })
})
afterAll(async () => {
  await ctx?.close()
  await fake?.close()
  await model?.close()
})

type Owner = Awaited<ReturnType<typeof onboard>>
const cookiesOf = (setCookie: string | string[] | undefined) =>
  (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((c) => c.split(';')[0]!)

/** The consent round trip against the fake (our start → Google's consent → our callback), as the browser does it. */
const connect = async (o: { user: { cookie: string }; clientId: string }) => {
  const start = await call(ctx.app, 'POST', '/api/connectors/google/start', o.user, { clientId: o.clientId })
  expect(start.statusCode, start.body).toBe(200)
  const state = cookiesOf(start.headers['set-cookie']).find((c) => c.startsWith('camarad_google_connect='))!
  const callback = new URL((await fetch(start.json().url, { redirect: 'manual' })).headers.get('location')!)
  const back = await call(ctx.app, 'GET', callback.pathname + callback.search, { cookie: `${o.user.cookie}; ${state}` })
  expect(back.statusCode, back.body).toBe(302)
  const list = await call(ctx.app, 'GET', `/api/connectors?clientId=${o.clientId}`, o.user)
  return list.json().items[0].id as string
}
/** A client connected and pointed at the MCC's child account and the GA4 property. */
const ready = async (label: string) => {
  const o = await onboard(ctx.app, label)
  const id = await connect(o)
  const pick = await call(ctx.app, 'PUT', `/api/connectors/${id}/ads/account`, o.user, {
    customerId: CHILD,
    loginCustomerId: MCC,
  })
  expect(pick.statusCode, pick.body).toBe(200)
  const prop = await call(ctx.app, 'PUT', `/api/connectors/${id}/analytics/property`, o.user, { propertyId: PROPERTY })
  expect(prop.statusCode, prop.body).toBe(200)
  return { ...o, connectionId: id }
}
const newClient = async (o: Owner, name: string) =>
  (await call(ctx.app, 'POST', '/api/clients', { cookie: o.user.cookie, workspaceId: o.workspaceId }, { name })).json()
    .id as string

type Exec = (input: unknown) => Promise<Record<string, unknown>>
/** A tool as the chat gives it to an agent of this client (the scope is the conversation's). */
const toolFor = (
  o: Owner,
  clientId: string,
  name: 'ads_report' | 'analytics_report',
  agentId = 'builtin.ppc-specialist',
) => {
  const agent = BUILTIN_AGENTS.find((a) => a.id === agentId)!
  const set = ctx.container.tools.registry.forCall(agent.tools, {
    scope: { userId: o.user.id, workspaceId: o.workspaceId, clientId, role: 'owner' },
    conversationId: 'conv_tools',
    agentId,
    emit: () => undefined,
  })
  const t = set[name] as { execute: (input: unknown, opts: unknown) => Promise<Record<string, unknown>> } | undefined
  if (!t) return undefined
  return ((input: unknown) => t.execute(input, { toolCallId: 't', messages: [] })) as Exec
}

let bakery: Awaited<ReturnType<typeof ready>>

describe('the ads_report and analytics_report tools', () => {
  beforeAll(async () => {
    bakery = await ready('tools-bakery')
  })

  it('are offered to the PPC Specialist and the Data Analyst, not to the Copywriter', () => {
    const names = (id: string) =>
      ctx.container.tools.registry.describe(BUILTIN_AGENTS.find((a) => a.id === id)!.tools).map((t) => t.name)
    for (const id of ['builtin.ppc-specialist', 'builtin.data-analyst'])
      expect(names(id)).toEqual(expect.arrayContaining(['ads_report', 'analytics_report']))
    expect(names('builtin.copywriter')).not.toContain('ads_report')
    expect(toolFor(bakery, bakery.clientId, 'ads_report', 'builtin.copywriter')).toBeUndefined()
  })

  it("reads the conversation's client's Google Ads figures, with the range, totals and the previous period", async () => {
    const out = await toolFor(bakery, bakery.clientId, 'ads_report')!({
      from: '2026-11-01',
      to: '2026-11-02',
      compare: true,
      // What a model might add: ignored, the scope decides.
      clientId: 'cl_someone_else',
      connectionId: 'conn_someone_else',
    })
    expect(out).toMatchObject({
      source: 'google_ads',
      kind: 'campaigns',
      customerId: CHILD,
      currency: 'RON',
      range: { from: '2026-11-01', to: '2026-11-02' },
      totals: {
        impressions: '1800',
        clicks: '105',
        cost: '150.5',
        conversions: '3.5',
        conversionsValue: '12.25',
        cpa: '43',
      },
      previous: { range: { from: '2026-10-30', to: '2026-10-31' }, totals: { cost: '3', conversions: '1' } },
      rowCount: 2,
      demo: false,
    })
    // The highest cost first.
    expect((out.rows as { name: string; cost: string }[]).map((r) => [r.name, r.cost])).toEqual([
      ['Generic', '90.5'],
      ['Brand', '60'],
    ])
  })

  it('lets the PPC Specialist answer in chat with the figures and the range it fetched', async () => {
    const h = { cookie: bakery.user.cookie, headers: { 'x-client-id': bakery.clientId } }
    const conv = (
      await call(ctx.app, 'POST', '/api/chat/conversations', h, { agentId: 'builtin.ppc-specialist' })
    ).json().id as string
    const sent = await call(ctx.app, 'POST', `/api/chat/conversations/${conv}/messages`, h, {
      content: 'Why did CPA rise last week?',
    })
    const result = parseSse(sent.body).find((e) => e.event === 'tool-result')!.data as {
      toolName: string
      output: { totals: { cpa: string } }
    }
    expect(result).toMatchObject({ toolName: 'ads_report', output: { totals: { cpa: '43' } } })
    const saved = (await call(ctx.app, 'GET', `/api/chat/conversations/${conv}/messages`, h)).json().items.at(-1)
    expect(saved.content).toBe('CPA was 43 RON from 2026-11-01 to 2026-11-02, up from 3.')
  })

  it('takes a preset range ending yesterday', async () => {
    const out = await toolFor(bakery, bakery.clientId, 'ads_report')!({ preset: 'last_7_days', kind: 'keywords' })
    expect(out).toMatchObject({ kind: 'keywords', range: presetRange('last_7_days', new Date()), previous: null })
  })

  it("reads the client's GA4 figures", async () => {
    const out = await toolFor(bakery, bakery.clientId, 'analytics_report', 'builtin.data-analyst')!({
      from: '2026-11-01',
      to: '2026-11-02',
      compare: true,
    })
    expect(out).toMatchObject({
      source: 'google_analytics',
      kind: 'overview',
      propertyId: PROPERTY,
      range: { from: '2026-11-01', to: '2026-11-02' },
      totals: { activeUsers: '200', sessions: '240', keyEvents: '5' },
      previous: { range: { from: '2026-10-30', to: '2026-10-31' }, totals: { activeUsers: '10', sessions: '11' } },
      rowCount: 2,
    })
  })

  it("says another client is not connected, never lending it the first client's connection", async () => {
    const other = await newClient(bakery, 'Tools other client')
    const before = fake.stats.ads.length + fake.stats.ga.length
    const ads = await toolFor(bakery, other, 'ads_report')!({ from: '2026-11-01', to: '2026-11-02' })
    expect(ads).toEqual({
      connected: false,
      status: 'not_connected',
      message: "Google Ads is not connected for this client (connect it in the client's connectors settings).",
    })
    const ga = await toolFor(bakery, other, 'analytics_report')!({ preset: 'last_30_days' })
    expect(ga).toMatchObject({ connected: false, status: 'not_connected' })
    expect(ga.message).toContain('Google Analytics (GA4) is not connected for this client')
    expect(JSON.stringify([ads, ga])).not.toMatch(/totals|\d{3,}/)
    expect(fake.stats.ads.length + fake.stats.ga.length).toBe(before)
  })

  it('says which account is missing when Google is connected but nothing is picked', async () => {
    const o = await onboard(ctx.app, 'tools-unpicked')
    await connect(o)
    const ads = await toolFor(o, o.clientId, 'ads_report')!({})
    expect(ads).toMatchObject({ connected: false, status: 'ads_account_required' })
    expect(ads.message).toContain('no Google Ads account is picked')
  })

  it('reports a range error in words, not as numbers', async () => {
    const out = await toolFor(bakery, bakery.clientId, 'ads_report')!({ from: '2026-11-05', to: '2026-11-01' })
    expect(out).toMatchObject({ error: 'connectors.range_invalid' })
  })
})

describe('the "Ads report" and "Analytics report" flow nodes', () => {
  const runFlow = async (o: Owner, clientId: string, type: string, config: Record<string, unknown>, input = {}) => {
    const caller: Caller = { cookie: o.user.cookie, headers: { 'x-client-id': clientId } }
    const graph = {
      nodes: [node('start', 'core.manual'), node('report', type, config, 200)],
      edges: [edge('start', 'report')],
    }
    const flow = await call(ctx.app, 'POST', '/api/flows', caller, { name: `Report ${type}`, graph })
    expect(flow.statusCode, flow.body).toBe(201)
    const published = await call(ctx.app, 'POST', `/api/flows/${flow.json().id}/publish`, caller)
    expect(published.statusCode, published.body).toBe(200)
    const started = await call(ctx.app, 'POST', `/api/flows/${flow.json().id}/runs`, caller, { input })
    expect(started.statusCode, started.body).toBe(202)
    await ctx.container.flows.engine.drain()
    const trace = (await call(ctx.app, 'GET', `/api/flows/runs/${started.json().runId}`, caller)).json()
    return { trace, step: trace.steps.find((s: { nodeId: string }) => s.nodeId === 'report') }
  }

  it("put the run's client's Ads figures in the step's output (dates from expressions)", async () => {
    const { trace, step } = await runFlow(
      bakery,
      bakery.clientId,
      'google.ads-report',
      { from: { $expr: '$trigger.from' }, to: '2026-11-02', compare: true },
      { from: '2026-11-01' },
    )
    expect(trace.run.status).toBe('completed')
    expect(step.output).toMatchObject({
      range: { from: '2026-11-01', to: '2026-11-02' },
      totals: { clicks: '105', cost: '150.5', cpa: '43' },
      previous: { totals: { cost: '3' } },
    })
  })

  it("put the run's client's GA4 figures in the step's output", async () => {
    const { trace, step } = await runFlow(bakery, bakery.clientId, 'google.analytics-report', {
      kind: 'overview',
      from: '2026-11-01',
      to: '2026-11-02',
    })
    expect(trace.run.status).toBe('completed')
    expect(step.output).toMatchObject({ totals: { activeUsers: '200', sessions: '240' }, previous: null })
  })

  it('fail the step with connectors.not_connected for a client without a connection', async () => {
    const other = await newClient(bakery, 'Flow other client')
    for (const type of ['google.ads-report', 'google.analytics-report']) {
      const { trace, step } = await runFlow(bakery, other, type, { preset: 'last_7_days' })
      expect(trace.run).toMatchObject({ status: 'failed', error: { code: 'connectors.not_connected' } })
      expect(step).toMatchObject({ status: 'failed', error: { code: 'connectors.not_connected', retryable: false } })
    }
  })

  it('fail with a clear code when a date expression is not a date', async () => {
    const { trace } = await runFlow(
      bakery,
      bakery.clientId,
      'google.ads-report',
      {
        from: { $expr: '$trigger.when' },
      },
      { when: 'last tuesday' },
    )
    expect(trace.run).toMatchObject({ status: 'failed', error: { code: 'flows.config_invalid' } })
  })
})

describe('a revoked grant', () => {
  it('turns the tool answer into "reconnect" and the flow step into connectors.reconnect_required', async () => {
    const o = await ready('tools-revoked')
    fake.revokeAll()
    await own<ConnectorsTables>(ctx.container.db)
      .updateTable('connectorConnections')
      .set({ accessTokenExpiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', o.connectionId)
      .execute()
    const out = await toolFor(o, o.clientId, 'ads_report')!({ from: '2026-11-01', to: '2026-11-02' })
    expect(out).toMatchObject({ connected: false, status: 'reconnect_required' })
    expect(out.message).toContain('reconnect it in the client')
    const { trace } = await (async () => {
      const caller: Caller = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const graph = {
        nodes: [node('start', 'core.manual'), node('report', 'google.analytics-report', {}, 200)],
        edges: [edge('start', 'report')],
      }
      const flow = (await call(ctx.app, 'POST', '/api/flows', caller, { name: 'GA after revoke', graph })).json()
      await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, caller)
      const started = await call(ctx.app, 'POST', `/api/flows/${flow.id}/runs`, caller, { input: {} })
      await ctx.container.flows.engine.drain()
      return { trace: (await call(ctx.app, 'GET', `/api/flows/runs/${started.json().runId}`, caller)).json() }
    })()
    expect(trace.run).toMatchObject({ status: 'failed', error: { code: 'connectors.reconnect_required' } })
  })
})

describe('composer suggestions', () => {
  const suggestions = async (o: { user: { cookie: string } }, clientId: string, agentId: string) => {
    const res = await call(ctx.app, 'GET', `/api/chat/suggestions?agentId=${agentId}`, {
      cookie: o.user.cookie,
      headers: { 'x-client-id': clientId },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items as string[]
  }

  it('ask for figures an agent can read once Google is connected, and nudge before', async () => {
    const o = await onboard(ctx.app, 'suggest-google')
    const before = await suggestions(o, o.clientId, 'builtin.ppc-specialist')
    expect(before.join('\n')).not.toContain('CPA change last week')
    expect(before.some((s) => s.includes('Google Ads and GA4 are connected'))).toBe(true)

    const id = await connect(o)
    // Connected, nothing picked yet: still nothing to read.
    expect((await suggestions(o, o.clientId, 'builtin.ppc-specialist')).join('\n')).not.toContain('CPA change')
    await call(ctx.app, 'PUT', `/api/connectors/${id}/ads/account`, o.user, { customerId: CHILD, loginCustomerId: MCC })
    const ppc = await suggestions(o, o.clientId, 'builtin.ppc-specialist')
    expect(ppc[0]).toMatch(/Why did .*'s CPA change last week compared with the week before\?/)
    expect(ppc.join('\n')).not.toContain('traffic sources')

    await call(ctx.app, 'PUT', `/api/connectors/${id}/analytics/property`, o.user, { propertyId: PROPERTY })
    const analyst = await suggestions(o, o.clientId, 'builtin.data-analyst')
    expect(analyst).toContain('Which traffic sources brought the most conversions in the last 30 days?')
    // An agent without the tools is not offered figures it cannot read.
    const copy = await suggestions(o, o.clientId, 'builtin.copywriter')
    expect(copy.join('\n')).not.toMatch(/CPA change|traffic sources|connected|reconnecting/)
    // Another client of the same workspace has its own (absent) connection.
    const other = await newClient(o, 'Suggest Other')
    expect((await suggestions(o, other, 'builtin.ppc-specialist')).join('\n')).not.toContain('CPA change')
  })

  it('say Google needs reconnecting when the grant was refused', async () => {
    const o = await ready('suggest-revoked')
    fake.revokeAll()
    await own<ConnectorsTables>(ctx.container.db)
      .updateTable('connectorConnections')
      .set({ accessTokenExpiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', o.connectionId)
      .execute()
    await toolFor(o, o.clientId, 'ads_report')!({ from: '2026-11-01', to: '2026-11-02' })
    const ppc = await suggestions(o, o.clientId, 'builtin.ppc-specialist')
    expect(ppc.join('\n')).toContain('Google needs reconnecting')
    expect(ppc.join('\n')).not.toContain('CPA change')
  })
})
