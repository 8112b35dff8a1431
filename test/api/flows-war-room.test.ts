import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowRunTrace } from '../../contracts/flows.ts'
import type { NodeContext } from '../../src/modules/flows/registry.ts'
import { own } from '../../src/platform/db/database.ts'
import type { CreditsTables } from '../../src/modules/credits/credits.tables.ts'
import { googleError, startFakeGoogle, type FakeGoogle } from '../fakes/google.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * The Growth War Room (issue 15 §8): Ads and GA4 for a range → a boardroom of the PPC Specialist, SEO & Content
 * Strategist and Data Analyst on those figures → the moderator's decisions and action items; the trace as Markdown.
 */
const google = { clientId: 'camarad-warroom-test', clientSecret: 'warroom-test-secret' }
const MCC = '3333333333'
const CHILD = '4444444444'
const PROPERTY = '123456789'
const FROM = '2026-11-01'
const TO = '2026-11-02'
let fake: FakeGoogle
let model: FakeOpenAI
let ctx: TestContext

/** The agents speak from the brief they were given; the moderator answers with the sections it is asked for. */
const reply = (body: Record<string, unknown>) => {
  const messages = body.messages as { role: string; content: unknown }[]
  const system = String(messages.find((m) => m.role === 'system')?.content ?? '')
  if (system.includes('moderator of a meeting'))
    return [
      'The PPC Specialist wants the generic campaign cut; the Data Analyst agrees given the CPA.',
      '',
      '## Decisions',
      '- Cut the Generic campaign budget by 30% until its CPA is back under 45 RON.',
      '- Keep Brand spend as it is.',
      '',
      '## Action items',
      '- **PPC Specialist**: lower the Generic budget today and add negatives.',
      '- Data Analyst: compare GA4 key events for Generic traffic next Monday.',
    ].join('\n')
  const brief = /about: "([\s\S]*?)"\./.exec(system)?.[1] ?? ''
  const cpa = /"cpa":"([\d.]+)"/.exec(brief)?.[1]
  return cpa
    ? `CPA is ${cpa} RON for the period; I propose cutting Generic.`
    : 'Without Ads figures I cannot judge CPA.'
}

beforeAll(async () => {
  fake = await startFakeGoogle(google)
  model = await startFakeOpenAI({ reply })
  ctx = await createTestContext({
    OPENAI_API_KEY: 'sk-warroom',
    OPENAI_BASE_URL: model.url,
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_OAUTH_BASE: fake.base,
    GOOGLE_ADS_API_BASE: fake.base,
    GOOGLE_ANALYTICS_API_BASE: fake.base,
  })
  fake.addAccount({ id: MCC, name: 'Agency MCC', manager: true, children: [CHILD] }, { accessible: true })
  fake.addAccount({ id: CHILD, name: 'Bakery', currency: 'RON' })
  const day = (date: string, id: string, name: string, costMicros: string, conversions: number) =>
    fake.addAdsRows({
      customerId: CHILD,
      kind: 'campaign',
      id,
      name,
      date,
      impressions: 1000,
      clicks: 50,
      costMicros,
      conversions,
      conversionsValue: 0,
    })
  day(FROM, '101', 'Brand', '40000000', 2)
  day(TO, '102', 'Generic', '90500000', 1)
  fake.addGaAccount({ account: '556', displayName: 'Bakery GA', properties: [{ id: PROPERTY, name: 'bakery.ro' }] })
  fake.addGaRows({
    propertyId: PROPERTY,
    dimension: 'date',
    value: '',
    date: FROM,
    metrics: { activeUsers: '120', sessions: '150', screenPageViews: '400', keyEvents: '3' },
  })
})
afterAll(async () => {
  await ctx?.close()
  await fake?.close()
  await model?.close()
})

type Owner = Awaited<ReturnType<typeof onboard>>
const cookiesOf = (setCookie: string | string[] | undefined) =>
  (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((c) => c.split(';')[0]!)
const as = (o: Owner, clientId = o.clientId): Caller => ({
  cookie: o.user.cookie,
  headers: { 'x-client-id': clientId },
})

/** The consent round trip against the fake, then the Ads account and GA4 property picked. */
const connect = async (o: Owner) => {
  const start = await call(ctx.app, 'POST', '/api/connectors/google/start', o.user, { clientId: o.clientId })
  expect(start.statusCode, start.body).toBe(200)
  const state = cookiesOf(start.headers['set-cookie']).find((c) => c.startsWith('camarad_google_connect='))!
  const callback = new URL((await fetch(start.json().url, { redirect: 'manual' })).headers.get('location')!)
  const back = await call(ctx.app, 'GET', callback.pathname + callback.search, { cookie: `${o.user.cookie}; ${state}` })
  expect(back.statusCode, back.body).toBe(302)
  const id = (await call(ctx.app, 'GET', `/api/connectors?clientId=${o.clientId}`, o.user)).json().items[0].id
  const pick = await call(ctx.app, 'PUT', `/api/connectors/${id}/ads/account`, o.user, {
    customerId: CHILD,
    loginCustomerId: MCC,
  })
  expect(pick.statusCode, pick.body).toBe(200)
  const prop = await call(ctx.app, 'PUT', `/api/connectors/${id}/analytics/property`, o.user, { propertyId: PROPERTY })
  expect(prop.statusCode, prop.body).toBe(200)
}

/** A flow made from the template, published, run by hand on the test range, drained; its trace. */
const runWarRoom = async (o: Owner, clientId = o.clientId, range = { from: FROM, to: TO }) => {
  const made = await call(ctx.app, 'POST', '/api/flows/templates/growth-war-room/instantiate', as(o, clientId))
  expect(made.statusCode, made.body).toBe(201)
  const flowId = made.json().id as string
  const published = await call(ctx.app, 'POST', `/api/flows/${flowId}/publish`, as(o, clientId))
  expect(published.statusCode, published.body).toBe(200)
  const started = await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, as(o, clientId), {
    input: range,
  })
  expect(started.statusCode, started.body).toBe(202)
  await ctx.container.flows.engine.drain()
  const runId = started.json().runId as string
  const trace = (await call(ctx.app, 'GET', `/api/flows/runs/${runId}`, as(o, clientId))).json() as FlowRunTrace
  return { runId, trace, step: (id: string) => trace.steps.find((s) => s.nodeId === id)! }
}

const boardroomDebits = (workspaceId: string) =>
  own<CreditsTables>(ctx.container.db)
    .selectFrom('creditEntries')
    .select(['requestId', 'amount'])
    .where('workspaceId', '=', workspaceId)
    .where('kind', '=', 'debit')
    .execute()

describe('the Growth War Room', () => {
  let bakery: Owner
  beforeAll(async () => {
    bakery = await onboard(ctx.app, 'warroom-bakery')
    await connect(bakery)
  })

  it('reads Ads and GA4, meets on the figures and outputs the decisions and action items', async () => {
    const { trace, step } = await runWarRoom(bakery)
    expect(trace.run.status).toBe('completed')
    expect(step('ads').output).toMatchObject({ range: { from: FROM, to: TO }, totals: { cpa: '43.5' } })
    expect(step('ga4').output).toMatchObject({ totals: { sessions: '150' } })
    const meeting = step('meeting')
    expect(meeting.status).toBe('completed')
    expect(meeting.input).toMatchObject({ failedSources: [] })
    expect((meeting.input as { brief: string }).brief).toContain(`Google Ads, ${FROM} to ${TO}:`)
    const out = meeting.output as {
      turns: { name: string; content: string }[]
      decisions: string[]
      actionItems: unknown[]
    }
    // Each agent was given the figures, in the order of the table, then the moderator.
    expect(out.turns.map((t) => t.name)).toEqual([
      'PPC Specialist',
      'SEO & Content Strategist',
      'Data Analyst',
      'Moderator',
    ])
    expect(out.turns[0]!.content).toBe('CPA is 43.5 RON for the period; I propose cutting Generic.')
    expect(trace.output).toEqual({
      decisions: [
        'Cut the Generic campaign budget by 30% until its CPA is back under 45 RON.',
        'Keep Brand spend as it is.',
      ],
      actionItems: [
        { owner: 'PPC Specialist', action: 'lower the Generic budget today and add negatives.' },
        { owner: 'Data Analyst', action: 'compare GA4 key events for Generic traffic next Monday.' },
      ],
      summary: expect.stringContaining('## Decisions'),
      meetingId: expect.stringMatching(/^mtg_/),
      failedSources: [],
    })
    // The meeting is the boardroom's: four turns, each charged once, shown on the step.
    const debits = (await boardroomDebits(bakery.workspaceId)).filter((d) => d.requestId.startsWith('flow:'))
    expect(debits.map((d) => d.requestId.split(':').at(-1)).sort()).toEqual(['0', '1', '2', '3'])
    expect(Number(meeting.credits)).toBeGreaterThan(0)
  })

  it('goes on when Ads fails, says so in the brief, the output and the Markdown trace', async () => {
    fake.failures.ads.push({
      status: 403,
      body: googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission', {
        authorizationError: 'USER_PERMISSION_DENIED',
      }),
    })
    // Another range: the reports' cache does not answer for Google.
    const { runId, trace, step } = await runWarRoom(bakery, bakery.clientId, { from: '2026-10-20', to: TO })
    expect(trace.run.status).toBe('completed')
    expect(step('ads')).toMatchObject({
      status: 'completed',
      port: 'error',
      error: { code: 'connectors.permission_denied' },
    })
    expect(step('ga4').port).toBe('out')
    const brief = (step('meeting').input as { brief: string }).brief
    expect(brief).toMatch(/Google Ads failed: .+\(connectors\.permission_denied\)/)
    expect(brief).toContain('Not available: Ads report failed')
    expect((trace.output as { failedSources: string[] }).failedSources).toEqual([
      expect.stringMatching(/^Ads report failed: /),
    ])
    expect((step('meeting').output as { turns: { content: string }[] }).turns[0]!.content).toBe(
      'Without Ads figures I cannot judge CPA.',
    )

    const md = await call(ctx.app, 'GET', `/api/flows/runs/${runId}/trace.md`, as(bakery))
    expect(md.statusCode, md.body).toBe(200)
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8')
    expect(md.headers['content-disposition']).toBe(`attachment; filename="${runId}.md"`)
    const text = md.body
    expect(text).toContain('# Growth War Room: run ')
    expect(text).toMatch(/\| Flow \| Growth War Room \(`fl_[\w-]+`\), version 1 \|/)
    expect(text).toContain('| Status | completed |')
    expect(text).toMatch(/- \*\*Ads report failed: .+\*\* \(`connectors.permission_denied`\)/)
    // Steps in the order they ran, each with its status and duration.
    const order = ['Date range', 'Ads report', 'Analytics report', 'Figures', 'Brief', 'War room', 'Decisions']
    const at = order.map((name) => text.indexOf(`. ${name} (\``))
    expect(at.every((i) => i > 0)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
    expect(text).toMatch(/duration \d+(\.\d)? m?s/)
    expect(text).toContain('**PPC Specialist** (round 1):')
    expect(text).toContain('> Without Ads figures I cannot judge CPA.')
    expect(text).toContain('- Cut the Generic campaign budget by 30% until its CPA is back under 45 RON.')
    expect(text).toContain('- **PPC Specialist**: lower the Generic budget today and add negatives.')
  })

  it('a retried Boardroom step finds its meeting: no model call, no second charge', async () => {
    const { trace, step } = await runWarRoom(bakery)
    const meeting = step('meeting')
    const calls = model.completions().length
    const debits = (await boardroomDebits(bakery.workspaceId)).length
    // The step again, under the same key (as after a crash between the meeting's end and the checkpoint).
    const executor = ctx.container.flows.nodes.get('boardroom.meeting')!
    const checkpoints: unknown[] = []
    const again = await executor.execute({
      config: {
        agentIds: ['builtin.ppc-specialist', 'builtin.seo-strategist', 'builtin.data-analyst'],
        topic: (meeting.input as { brief: string }).brief,
        rounds: 1,
      },
      input: meeting.input,
      scope: {
        userId: bakery.user.id,
        actingUserId: bakery.user.id,
        workspaceId: bakery.workspaceId,
        clientId: bakery.clientId,
        role: 'owner',
      },
      idempotencyKey: meeting.idempotencyKey,
      attempt: 2,
      finalAttempt: false,
      log: () => undefined,
      checkpoint: async (_trx: unknown, r: unknown) => void checkpoints.push(r),
    } as unknown as NodeContext<never>)
    expect(again).toMatchObject({ checkpointed: true })
    expect(checkpoints).toEqual([{ output: meeting.output, credits: expect.any(BigInt) }])
    expect((checkpoints[0] as { credits: bigint }).credits).toBeGreaterThan(0n)
    expect(model.completions().length).toBe(calls)
    expect((await boardroomDebits(bakery.workspaceId)).length).toBe(debits)
    expect(trace.run.status).toBe('completed')
  })

  it("never uses another client's connection: the client without one runs with both sources failed", async () => {
    const other = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: bakery.user.cookie, workspaceId: bakery.workspaceId },
        {
          name: 'War room, no Google',
        },
      )
    ).json().id as string
    const before = fake.stats.ads.length + fake.stats.ga.length
    const { trace, step } = await runWarRoom(bakery, other)
    expect(trace.run.status).toBe('completed')
    expect(step('ads').error?.code).toBe('connectors.not_connected')
    expect(step('ga4').error?.code).toBe('connectors.not_connected')
    expect((trace.output as { failedSources: string[] }).failedSources).toHaveLength(2)
    expect(JSON.stringify(step('meeting').input)).not.toContain('43.5')
    expect(fake.stats.ads.length + fake.stats.ga.length).toBe(before)
  })

  it("answers 404 for another workspace's run trace", async () => {
    const { runId } = await runWarRoom(bakery)
    const stranger = await onboard(ctx.app, 'warroom-stranger')
    const res = await call(ctx.app, 'GET', `/api/flows/runs/${runId}/trace.md`, as(stranger))
    expect(res.statusCode).toBe(404)
  })
})
