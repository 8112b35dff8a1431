import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ThreadDto } from '../../contracts/inbox.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { startFakeWhatsAppCloud, webhookOf, type FakeWhatsAppCloud } from '../fakes/whatsapp-cloud.ts'
import {
  call,
  createTestContext,
  createToken,
  onboard,
  TEST_INTERNAL_TOKEN,
  type Caller,
  type TestContext,
} from '../harness.ts'
import { edge, node } from '../flow-graph.ts'
import { sampleSum, samples } from '../metrics-text.ts'
import { startMetricsServer } from '../../src/modules/ops/ops.module.ts'
import { createOutboxMetrics } from '../../src/modules/inbox/outbox.metrics.ts'
import { Registry } from 'prom-client'

const APP_SECRET = 'meta-app-secret-metrics-0123456789'
const NUMBER = '106540352249999'
const TOKEN = 'EAAG-token-metrics-0123456789'
const WABA = '200000000000009'
const CONTACT = '40744444444'

/** Business metrics on /metrics (issue 17 §1): each moves when what it counts happens. */
let ctx: TestContext
let openai: FakeOpenAI
let wa: FakeWhatsAppCloud
let w: Awaited<ReturnType<typeof onboard>>
const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
const scrape = async () => {
  const res = await call(ctx.app, 'GET', '/metrics', { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } })
  expect(res.statusCode).toBe(200)
  return res.body
}

beforeAll(async () => {
  openai = await startFakeOpenAI({
    text: 'Lead with the price.',
    chunks: 2,
    usage: { prompt_tokens: 400, completion_tokens: 9 },
  })
  wa = await startFakeWhatsAppCloud({
    appSecret: APP_SECRET,
    pairRate: false,
    throughputPerSecond: 100_000,
    numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, wabaId: WABA, displayPhoneNumber: '+40 700 000 009' }],
  })
  ctx = await createTestContext({
    OPENAI_API_KEY: 'sk-test-key',
    OPENAI_BASE_URL: openai.url,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'verify-token-metrics',
    WHATSAPP_GRAPH_API_BASE: wa.url,
  })
  w = await onboard(ctx.app, 'metrics')
})
afterAll(async () => {
  await ctx?.close()
  await openai?.close()
  await wa?.close()
})

describe('model calls and credits', () => {
  it('a chat answer counts one model call for surface chat with outcome ok', async () => {
    const before = sampleSum(await scrape(), 'camarad_model_calls_total', { surface: 'chat', outcome: 'ok' })
    const conv = await call(ctx.app, 'POST', '/api/chat/conversations', owner(), { agentId: 'builtin.copywriter' })
    expect(conv.statusCode, conv.body).toBe(201)
    const res = await call(ctx.app, 'POST', `/api/chat/conversations/${conv.json().id}/messages`, owner(), {
      content: 'A tagline for a bakery',
    })
    expect(res.statusCode, res.body).toBe(200)
    const after = sampleSum(await scrape(), 'camarad_model_calls_total', { surface: 'chat', outcome: 'ok' })
    expect(after - before).toBe(1)
  })

  it('a /v1 call is labelled by its provider and catalog model, and its charge is counted', async () => {
    const token = (await createToken(ctx.app, w.user)).token
    const body0 = await scrape()
    const labels = { provider: 'openai', model: 'openai:gpt-4o-mini', surface: 'v1', outcome: 'ok' }
    const charged0 = sampleSum(body0, 'camarad_credits_charged_total', { resolution: 'settled' })
    const res = await call(
      ctx.app,
      'POST',
      '/v1/chat/completions',
      { token, headers: { 'x-workspace-id': w.workspaceId, 'x-request-id': 'metrics-v1-1' } },
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tagline for a bakery' }], max_tokens: 100 },
    )
    expect(res.statusCode, res.body).toBe(200)
    const body = await scrape()
    expect(
      sampleSum(body, 'camarad_model_calls_total', labels) - sampleSum(body0, 'camarad_model_calls_total', labels),
    ).toBe(1)
    expect(sampleSum(body, 'camarad_credits_charged_total', { resolution: 'settled' })).toBeGreaterThan(charged0)
    // Nothing in flight any more; the welcome credits minus the charges are in the accounts.
    expect(sampleSum(body, 'camarad_credits_held')).toBe(0)
    expect(sampleSum(body, 'camarad_credits_balance')).toBeGreaterThan(0)
  })
})

describe('webhooks, the outbox and WhatsApp sessions', () => {
  const webhook = webhookOf(() => ctx.app)
  const signed = (body: unknown): [string, string] => {
    const raw = JSON.stringify(body)
    return [raw, wa.sign(raw)]
  }

  it('counts webhook deliveries by source and answer', async () => {
    const before = await scrape()
    const bad = await ctx.app.inject({
      method: 'POST',
      url: '/api/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      payload: '{}',
    })
    expect(bad.statusCode).toBeGreaterThanOrEqual(400)
    const ch = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Bookings',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
      businessAccountId: WABA,
    })
    expect(ch.statusCode, ch.body).toBe(201)
    expect(await webhook(...signed(wa.inboundText(NUMBER, { waId: CONTACT }, 'Bună!')))).toBe(200)
    const after = await scrape()
    const moved = (source: string, status: string) =>
      sampleSum(after, 'camarad_webhook_events_total', { source, status }) -
      sampleSum(before, 'camarad_webhook_events_total', { source, status })
    expect(moved('stripe', bad.statusCode >= 500 ? 'error' : 'rejected')).toBe(1)
    expect(moved('whatsapp', 'accepted')).toBe(1)
    expect(moved('flow', 'accepted')).toBe(0)
  })

  it('reports the outbox backlog, then the send by number and outcome with its latency', async () => {
    const channelId = (await ctx.container.db.selectFrom('channels').select('id').executeTakeFirstOrThrow()).id
    const thread = ((await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[])[0]!
    const sent = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/messages`, owner(), { text: 'Salut!' })
    expect(sent.statusCode, sent.body).toBe(201)

    const queued = await scrape()
    expect(sampleSum(queued, 'camarad_outbox_queued')).toBe(1)
    expect(sampleSum(queued, 'camarad_outbox_oldest_queued_age_seconds')).toBeGreaterThanOrEqual(0)
    expect(sampleSum(queued, 'camarad_outbox_dead_letters')).toBe(0)

    const { dispatcher } = ctx.container.inbox.outbox
    await dispatcher.round()
    await dispatcher.settled()
    const after = await scrape()
    expect(sampleSum(after, 'camarad_outbox_queued')).toBe(0)
    expect(sampleSum(after, 'camarad_outbox_oldest_queued_age_seconds')).toBe(0)
    // The number is among the busiest (the scrape before the send read them), so it has a label of its own.
    expect(sampleSum(after, 'camarad_outbox_send_attempts_total', { number: channelId, outcome: 'sent' })).toBe(1)
    expect(sampleSum(after, 'camarad_outbox_send_latency_seconds_count', { number: channelId })).toBe(1)

    // Beyond the cap, a number is `other`: with room for one number it keeps its label, with none it does not.
    for (const [topNumbers, label] of [
      [1, channelId],
      [0, 'other'],
    ] as const) {
      const capped = createOutboxMetrics(ctx.container.db, { topNumbers })
      const registry = new Registry()
      capped.register(registry)
      await capped.refreshTop()
      capped.observe({ channelId, createdAt: new Date() }, 'failed')
      const body = await registry.metrics()
      expect(sampleSum(body, 'camarad_outbox_send_attempts_total', { number: label, outcome: 'failed' })).toBe(1)
      expect(sampleSum(body, 'camarad_outbox_send_attempts_total', { outcome: 'failed' })).toBe(1)
    }
  })

  it('reports QR numbers that should be online as driven while a process holds the lease, else orphaned', async () => {
    const qr = await call(ctx.app, 'POST', '/api/channels', owner(), { kind: 'qr', name: 'Front desk' })
    expect(qr.statusCode, qr.body).toBe(201)
    const id = qr.json().id as string
    const state = async () => {
      const body = await scrape()
      return {
        driven: sampleSum(body, 'camarad_whatsapp_sessions', { state: 'driven' }),
        orphaned: sampleSum(body, 'camarad_whatsapp_sessions', { state: 'orphaned' }),
      }
    }
    expect(await state()).toEqual({ driven: 0, orphaned: 0 })
    await ctx.container.db.updateTable('channels').set({ status: 'connected' }).where('id', '=', id).execute()
    expect(await state()).toEqual({ driven: 0, orphaned: 1 })
    await ctx.container.db
      .insertInto('channelSessions')
      .values({ channelId: id, owner: 'test-process', leaseUntil: new Date(Date.now() + 60_000) })
      .onConflict((oc) =>
        oc.column('channelId').doUpdateSet({ owner: 'test-process', leaseUntil: new Date(Date.now() + 60_000) }),
      )
      .execute()
    expect(await state()).toEqual({ driven: 1, orphaned: 0 })
  })
})

describe('flows and jobs', () => {
  it('reports finished runs and steps by status, and their durations', async () => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), {
      name: 'Metrics flow',
      graph: {
        nodes: [
          node('start', 'core.manual'),
          node('total', 'core.set', { fields: { total: { $expr: 'a + b' } } }, 200),
        ],
        edges: [edge('start', 'total')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flowId = created.json().id as string
    expect((await call(ctx.app, 'POST', `/api/flows/${flowId}/publish`, owner())).statusCode).toBe(200)
    const before = await scrape()
    const run = await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, owner(), { input: { a: 1, b: 2 } })
    expect(run.statusCode, run.body).toBe(202)
    await ctx.container.flows.engine.drain()
    const after = await scrape()
    const moved = (name: string, status: string) =>
      sampleSum(after, name, { status }) - sampleSum(before, name, { status })
    expect(moved('camarad_flow_runs_finished', 'completed')).toBe(1)
    expect(moved('camarad_flow_steps_finished', 'completed')).toBe(2)
    expect(samples(after, 'camarad_flow_runs_open', { status: 'running' })).toHaveLength(1)
    expect(samples(after, 'camarad_flow_run_duration_seconds', { quantile: '0.95' })[0]!.value).toBeGreaterThanOrEqual(
      0,
    )
    expect(samples(after, 'camarad_flow_step_duration_seconds', { quantile: '0.5' })).toHaveLength(1)
  })

  it('counts a flow webhook answered by its run (a hijacked reply) and an unknown flow webhook', async () => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), {
      name: 'Hooked',
      graph: {
        nodes: [
          node('hook', 'core.webhook', { respond: 'on-completion' }),
          node('sum', 'core.set', { fields: { total: { $expr: 'body.a + body.b' } }, keepInput: false }, 200),
        ],
        edges: [edge('hook', 'sum')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flowId = created.json().id as string
    expect((await call(ctx.app, 'POST', `/api/flows/${flowId}/publish`, owner())).statusCode).toBe(200)
    const rotated = await call(ctx.app, 'POST', `/api/flows/${flowId}/webhook/rotate`, owner())
    const path = new URL(rotated.json().url as string).pathname
    const before = await scrape()
    const hook = (url: string) =>
      ctx.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: { a: 1, b: 2 } })
    const answered = await hook(path)
    expect(answered.statusCode, answered.body).toBe(200)
    expect(answered.json()).toEqual({ total: 3 })
    expect((await hook('/api/hooks/flows/not-a-secret-of-any-flow')).statusCode).toBe(404)
    const after = await scrape()
    const moved = (status: string) =>
      sampleSum(after, 'camarad_webhook_events_total', { source: 'flow', status }) -
      sampleSum(before, 'camarad_webhook_events_total', { source: 'flow', status })
    expect([moved('accepted'), moved('rejected'), moved('error')]).toEqual([1, 1, 0])
  })

  it('reports each queue’s oldest due job age', async () => {
    // Onboarding queued a verification email; no worker runs here, so it waits (read from pg-boss's table, not the
    // queue counts its monitor refreshes now and then).
    const body = await scrape()
    const age = samples(body, 'camarad_queue_oldest_job_age_seconds', { queue: 'mail.deliver-email' })
    expect(age).toHaveLength(1)
    expect(age[0]!.value).toBeGreaterThanOrEqual(0)
  })
})

describe('a worker’s metrics server', () => {
  it('serves the container’s registry, business metrics included, behind the operator token', async () => {
    const server = await startMetricsServer({
      registry: ctx.container.metrics.registry,
      port: 0,
      host: '127.0.0.1',
      internalToken: TEST_INTERNAL_TOKEN,
    })
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`
      expect((await fetch(url)).status).toBe(401)
      const res = await fetch(url, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } })
      expect(res.status).toBe(200)
      const body = await res.text()
      expect(sampleSum(body, 'camarad_model_calls_total', { surface: 'chat', outcome: 'ok' })).toBeGreaterThan(0)
      expect(samples(body, 'camarad_outbox_queued')).toHaveLength(1)
    } finally {
      await server.close()
    }
  })
})
