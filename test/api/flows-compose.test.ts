import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { addMember, call, createTestContext, onboard, type TestContext } from '../harness.ts'

/**
 * Templates and compose-from-a-prompt. Two servers on the real plans catalog (Free: one flow): one with only the
 * offline model (compose = the best-matching template, free), one with an OpenAI provider faked on 127.0.0.1 whose
 * answer depends on what it was sent (a broken flow first, then a fixed one; or always broken; or not JSON).
 */
let offline: TestContext
let online: TestContext
let fake: FakeOpenAI

const MICRO = 1_000_000
/** gpt-4o-mini at the test rates, with the rate's buffer (as in test/api/credits.test.ts). */
const expectedCharge = (input: number, output: number) => Math.ceil(((input * 150_000 + output * 600_000) * 2) / 10_000)
const USAGE = { prompt_tokens: 1200, completion_tokens: 300 }

const node = (id: string, type: string, x: number, config: Record<string, unknown> = {}) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
})
const validFlow = {
  name: 'Ping the status page',
  description: 'Calls https://example.com/status when started by hand.',
  graph: {
    nodes: [node('start', 'core.manual', 0), node('ping', 'core.http', 260, { url: 'https://example.com/status' })],
    edges: [{ from: 'start', fromPort: 'out', to: 'ping', toPort: 'in' }],
  },
}
const brokenFlow = {
  name: 'Broken',
  description: '',
  graph: {
    nodes: [
      node('start', 'core.manual', 0),
      node('ping', 'core.teleport', 260),
      node('mail', 'core.send-email', 520, { to: 'not an address', subject: 'x', text: 'y' }),
    ],
    edges: [
      { from: 'start', fromPort: 'out', to: 'ping', toPort: 'in' },
      { from: 'ping', fromPort: 'out', to: 'mail', toPort: 'in' },
    ],
  },
}

beforeAll(async () => {
  fake = await startFakeOpenAI({
    usage: USAGE,
    reply: (body) => {
      const sent = JSON.stringify(body.messages)
      const repairing = (body.messages as { role: string }[]).some((m) => m.role === 'assistant')
      if (sent.includes('never-valid')) return JSON.stringify(brokenFlow)
      if (sent.includes('not-json')) return 'Sure! Here is a flow that pings your site.'
      return JSON.stringify(repairing ? validFlow : brokenFlow)
    },
  })
  const plans = { PLANS_FILE: 'config/plans.json' }
  ;[offline, online] = await Promise.all([
    createTestContext(plans),
    createTestContext({ ...plans, OPENAI_API_KEY: 'sk-compose', OPENAI_BASE_URL: fake.url }),
  ])
})
afterAll(async () => {
  await Promise.all([offline?.close(), online?.close()])
  await fake?.close()
})

const setup = async (ctx: TestContext, label: string) => {
  const o = await onboard(ctx.app, label)
  const admin = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
  return { o, admin }
}
const withRequestId = (as: { cookie: string; headers: Record<string, string> }, id: string) => ({
  ...as,
  headers: { ...as.headers, 'x-request-id': id },
})
const flowsOf = async (ctx: TestContext, as: { cookie: string; headers: Record<string, string> }) =>
  (await call(ctx.app, 'GET', '/api/flows', as)).json().items as { id: string; name: string }[]
const ledger = async (ctx: TestContext, o: Awaited<ReturnType<typeof onboard>>, query = '') =>
  (
    await call(ctx.app, 'GET', `/api/credits/ledger${query}`, { cookie: o.user.cookie, workspaceId: o.workspaceId })
  ).json().items as { kind: string; amount: number; requestId: string; surface: string | null }[]
const holds = async (ctx: TestContext, o: Awaited<ReturnType<typeof onboard>>) =>
  (await call(ctx.app, 'GET', '/api/credits/holds', { cookie: o.user.cookie, workspaceId: o.workspaceId })).json()
    .items as { requestId: string; status: string; surface: string }[]
const composeDebits = async (ctx: TestContext, o: Awaited<ReturnType<typeof onboard>>, requestId: string) =>
  (await ledger(ctx, o, '?kind=debit')).filter((e) => e.requestId.startsWith(`compose:${requestId}`))

describe('the template gallery', () => {
  it('lists the validated templates to any member of the workspace, by X-Workspace-ID or X-Client-ID', async () => {
    const { o, admin } = await setup(offline, 'gallery')
    const viewer = await addMember(offline.app, o.user, o.workspaceId, 'viewer')
    const res = await call(offline.app, 'GET', '/api/flows/templates', {
      cookie: viewer.cookie,
      workspaceId: o.workspaceId,
    })
    expect(res.statusCode).toBe(200)
    const templates = res.json() as { id: string; name: string; tags: string[]; graph: { nodes: unknown[] } }[]
    expect(templates.length).toBeGreaterThanOrEqual(6)
    expect(templates.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'lead-qualify',
        'weekly-client-report',
        'form-enrich-notify',
        'support-triage',
        'items-digest',
        'uptime-check',
      ]),
    )
    expect((await call(offline.app, 'GET', '/api/flows/templates', admin)).json()).toEqual(templates)
    // Not a member: the workspace does not exist for them.
    const stranger = await onboard(offline.app, 'stranger')
    const other = await call(offline.app, 'GET', '/api/flows/templates', {
      cookie: stranger.user.cookie,
      workspaceId: o.workspaceId,
    })
    expect(other.statusCode).toBe(404)
    expect((await call(offline.app, 'GET', '/api/flows/templates')).statusCode).toBe(401)
  })

  it('instantiates a template into the client as a new draft (admins), 404 for an unknown id, 402 past the plan', async () => {
    const { o, admin } = await setup(offline, 'instantiate')
    const template = (await call(offline.app, 'GET', '/api/flows/templates', admin))
      .json()
      .find((t: { id: string }) => t.id === 'lead-qualify')

    const member = await addMember(offline.app, o.user, o.workspaceId, 'member')
    const asMember = { cookie: member.cookie, headers: { 'x-client-id': o.clientId } }
    const refused = await call(offline.app, 'POST', '/api/flows/templates/lead-qualify/instantiate', asMember)
    expect(refused.statusCode).toBe(403)

    for (const id of ['no-such-template', 'fl_0123456789abcdef', 'Lead_Qualify', 'x'.repeat(61)]) {
      const res = await call(offline.app, 'POST', `/api/flows/templates/${id}/instantiate`, admin)
      expect(res.statusCode, id).toBe(404)
      expect(res.json().error.code).toBe('flows.template_not_found')
    }

    const res = await call(offline.app, 'POST', '/api/flows/templates/lead-qualify/instantiate', admin)
    expect(res.statusCode).toBe(201)
    const flow = res.json()
    expect(flow).toMatchObject({
      clientId: o.clientId,
      name: template.name,
      description: template.description,
      state: 'active',
      publishedVersion: null,
      draft: template.graph,
    })
    expect((await call(offline.app, 'GET', `/api/flows/${flow.id}`, admin)).json().draft).toEqual(template.graph)

    // Free allows one flow: the next one (from a template or composed) is refused, and nothing is created.
    const again = await call(offline.app, 'POST', '/api/flows/templates/uptime-check/instantiate', admin)
    expect(again.statusCode).toBe(402)
    expect(again.json().error.code).toBe('plan.limit_reached')
    const composed = await call(offline.app, 'POST', '/api/flows/compose', admin, { prompt: 'weekly report' })
    expect(composed.statusCode).toBe(402)
    expect((await flowsOf(offline, admin)).map((f) => f.id)).toEqual([flow.id])
  })
})

describe('compose with the offline model', () => {
  it('drafts the best-matching template, deterministically and for free', async () => {
    const weekly = (await call(offline.app, 'GET', '/api/flows/templates', (await setup(offline, 'w')).admin))
      .json()
      .find((t: { id: string }) => t.id === 'weekly-client-report')
    const drafts = []
    for (const label of ['offline-a', 'offline-b']) {
      const { o, admin } = await setup(offline, label)
      const estimate = await call(offline.app, 'POST', '/api/flows/compose', admin, {
        prompt: 'weekly report',
        estimateOnly: true,
      })
      expect(estimate.statusCode).toBe(200)
      expect(estimate.json()).toEqual({ estimate: { credits: '0', offline: true } })

      const res = await call(offline.app, 'POST', '/api/flows/compose', admin, { prompt: 'weekly report' })
      expect(res.statusCode).toBe(201)
      const body = res.json()
      expect(body).toMatchObject({ credits: '0', repaired: false, flow: { name: weekly.name, clientId: o.clientId } })
      drafts.push(body.flow.draft)
      expect(await composeDebits(offline, o, '')).toEqual([])
      expect((await holds(offline, o)).filter((h) => h.surface === 'flow')).toEqual([])
    }
    expect(drafts[0]).toEqual(weekly.graph)
    expect(drafts[1]).toEqual(drafts[0])

    const { admin } = await setup(offline, 'offline-c')
    const lead = await call(offline.app, 'POST', '/api/flows/compose', admin, {
      prompt: 'Score inbound leads from our landing page and send the hot ones to sales',
    })
    expect(lead.json().flow.name).toBe('Qualify inbound leads with AI')
  })

  it('is for admins, and the prompt is checked', async () => {
    const { o, admin } = await setup(offline, 'compose-roles')
    const member = await addMember(offline.app, o.user, o.workspaceId, 'member')
    const asMember = { cookie: member.cookie, headers: { 'x-client-id': o.clientId } }
    for (const body of [{ prompt: 'weekly report' }, { prompt: 'weekly report', estimateOnly: true }]) {
      const res = await call(offline.app, 'POST', '/api/flows/compose', asMember, body)
      expect(res.statusCode).toBe(403)
    }
    const short = await call(offline.app, 'POST', '/api/flows/compose', admin, { prompt: 'hi' })
    expect(short.statusCode).toBe(400)
    const noClient = await call(
      offline.app,
      'POST',
      '/api/flows/compose',
      { cookie: o.user.cookie },
      { prompt: 'weekly report' },
    )
    expect(noClient.statusCode).toBe(400)
    expect(await flowsOf(offline, admin)).toEqual([])
  })
})

describe('compose with a model', () => {
  it('estimateOnly answers the most it may cost and writes nothing', async () => {
    const { o, admin } = await setup(online, 'estimate')
    const calls = fake.completions().length
    const res = await call(online.app, 'POST', '/api/flows/compose', admin, {
      prompt: 'Ping my status page',
      estimateOnly: true,
    })
    expect(res.statusCode).toBe(200)
    const { estimate } = res.json()
    expect(estimate.offline).toBe(false)
    expect(estimate.credits).toMatch(/^\d+(\.\d{1,6})?$/)
    // Three rounds at most, each up to 8 000 output tokens: above three times one round's output alone.
    expect(Number(estimate.credits) * MICRO).toBeGreaterThan(3 * expectedCharge(0, 8000))
    expect(fake.completions().length).toBe(calls)
    expect(await holds(online, o)).toEqual([])
    expect(await ledger(online, o, '?kind=debit')).toEqual([])
    expect(await flowsOf(online, admin)).toEqual([])
  })

  it('repairs an invalid graph with the issues and charges both rounds', async () => {
    const { o, admin } = await setup(online, 'repair')
    const calls = fake.completions().length
    const res = await call(online.app, 'POST', '/api/flows/compose', withRequestId(admin, 'req-compose-repair'), {
      prompt: 'Ping my status page when I press run',
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({ repaired: true, flow: { name: validFlow.name, draft: validFlow.graph } })

    const sent = fake.completions().slice(calls)
    expect(sent.length).toBe(2)
    const repair = JSON.stringify(sent[1]!.body!.messages)
    expect(repair).toContain('That flow is not valid')
    expect(repair).toContain('Unknown node type')
    expect(repair).toContain('node mail [config.to]')
    // Structured output: the answer's JSON Schema goes with the call; the node types and their config schemas too.
    expect(sent[0]!.body!.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'flow' } })
    expect(JSON.stringify(sent[0]!.body!.messages)).toContain('core.respond-to-webhook')

    const debits = await composeDebits(online, o, 'req-compose-repair')
    const debited = debits.reduce((s, e) => s - e.amount, 0)
    expect(debited).toBe(expectedCharge(2 * USAGE.prompt_tokens, 2 * USAGE.completion_tokens))
    expect(debits.every((e) => e.surface === 'flow')).toBe(true)
    expect(body.credits).toBe(String(debited / MICRO))
    const callHolds = (await holds(online, o)).filter((h) => h.requestId.startsWith('compose:req-compose-repair'))
    expect(callHolds.map((h) => h.requestId).sort()).toEqual([
      'compose:req-compose-repair',
      'compose:req-compose-repair:step2',
    ])
    expect(callHolds.every((h) => h.status !== 'pending')).toBe(true)
    expect((await flowsOf(online, admin)).length).toBe(1)

    // Free's one flow is used: the next compose is refused before any model is called.
    const over = await call(online.app, 'POST', '/api/flows/compose', admin, { prompt: 'Ping my status page again' })
    expect(over.statusCode).toBe(402)
    expect(fake.completions().length - calls).toBe(2)
  })

  it('refuses with the issues after two repair rounds, charged for the three rounds it used', async () => {
    const { o, admin } = await setup(online, 'never')
    const calls = fake.completions().length
    const res = await call(online.app, 'POST', '/api/flows/compose', withRequestId(admin, 'req-compose-never'), {
      prompt: 'never-valid: ping my status page',
    })
    expect(res.statusCode).toBe(422)
    const { error } = res.json()
    expect(error.code).toBe('flows.compose_invalid')
    expect(error.details.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: 'ping', path: ['type'] }),
        expect.objectContaining({ nodeId: 'mail', path: ['config', 'to'] }),
      ]),
    )
    expect(fake.completions().length - calls).toBe(3)
    const debited = (await composeDebits(online, o, 'req-compose-never')).reduce((s, e) => s - e.amount, 0)
    expect(debited).toBe(expectedCharge(3 * USAGE.prompt_tokens, 3 * USAGE.completion_tokens))
    expect((await holds(online, o)).every((h) => h.status !== 'pending')).toBe(true)
    expect(await flowsOf(online, admin)).toEqual([])

    // One compose per request id: a retry runs nothing and charges nothing more.
    const retry = await call(online.app, 'POST', '/api/flows/compose', withRequestId(admin, 'req-compose-never'), {
      prompt: 'never-valid: ping my status page',
    })
    expect(retry.statusCode).toBe(409)
    expect(retry.json().error.code).toBe('request.not_replayable')
    expect(fake.completions().length - calls).toBe(3)
    expect((await composeDebits(online, o, 'req-compose-never')).reduce((s, e) => s - e.amount, 0)).toBe(debited)
  })

  it('an answer that is not JSON is a round with an issue, not a crash', async () => {
    const { o, admin } = await setup(online, 'not-json')
    const res = await call(online.app, 'POST', '/api/flows/compose', withRequestId(admin, 'req-compose-text'), {
      prompt: 'not-json please',
    })
    expect(res.statusCode).toBe(422)
    expect(res.json().error.details.issues).toEqual([
      { nodeId: null, path: [], message: 'The answer is not a JSON object.' },
    ])
    expect((await composeDebits(online, o, 'req-compose-text')).length).toBeGreaterThan(0)
  })
})
