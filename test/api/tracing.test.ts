import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { flushTracing, isTracing, startTracing, stopTracing } from '../../src/platform/observability/tracing.ts'
import { createDispatcher, OUTBOX_DEFAULTS } from '../../src/modules/inbox/dispatcher.ts'
import { createPgPacer } from '../../src/modules/inbox/pacer.ts'
import { startOtlpCollector, type CollectedSpan } from '../fakes/otlp-collector.ts'
import { startFakeWhatsAppCloud, webhookOf, type FakeWhatsAppCloud } from '../fakes/whatsapp-cloud.ts'
import { call, createTestContext, onboard, ORIGIN, type TestContext } from '../harness.ts'
import { edge, node } from '../flow-graph.ts'

// The SDK is process-global: this file starts it once, before the container (as `serve` does), and stops it at the end.
const SERVER = 2 // OTLP's SPAN_KIND_SERVER
const ERROR = 2 // OTLP's STATUS_CODE_ERROR

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const NUMBER = '106540352242933'
const TOKEN = 'EAAG-token-tracing-0123456789'
const WABA = '200000000000001'

let collector: Awaited<ReturnType<typeof startOtlpCollector>>
let fake: FakeWhatsAppCloud
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let base: string
const as = () => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

beforeAll(async () => {
  collector = await startOtlpCollector()
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }
  expect(await startTracing(env, 'camarad-api')).toBe(true)
  expect(await startTracing(env, 'camarad-api')).toBe(true)
  fake = await startFakeWhatsAppCloud({
    appSecret: APP_SECRET,
    pairRate: false,
    throughputPerSecond: 100_000,
    numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, wabaId: WABA, displayPhoneNumber: '+40 700 000 001' }],
  })
  ctx = await createTestContext({
    ...env,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
    WHATSAPP_GRAPH_API_BASE: fake.url,
  })
  w = await onboard(ctx.app, 'tracing')
  base = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await ctx?.close()
  await stopTracing()
  await stopTracing()
  await collector?.close()
  await fake?.close()
})

const exported = async () => {
  await flushTracing()
  return collector.spans
}
const serverSpan = (spans: CollectedSpan[], requestId: string) => {
  const found = spans.filter((s) => s.kind === SERVER && s.attributes['camarad.request_id'] === requestId)
  expect(found).toHaveLength(1)
  return found[0]!
}
const childrenOf = (spans: CollectedSpan[], parent: CollectedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId)

describe('traces over OTLP', () => {
  it('exports a server span per request under the caller’s traceparent, with its database queries as children', async () => {
    const requestId = 'trace-list-clients-0001'
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const parentId = '00f067aa0ba902b7'
    const res = await call(ctx.app, 'GET', '/api/clients', {
      cookie: w.user.cookie,
      workspaceId: w.workspaceId,
      headers: { 'x-request-id': requestId, traceparent: `00-${traceId}-${parentId}-01` },
    })
    expect(res.statusCode, res.body).toBe(200)

    const spans = await exported()
    const http = serverSpan(spans, requestId)
    expect(http).toMatchObject({
      name: 'GET /api/clients',
      traceId,
      parentSpanId: parentId,
      service: 'camarad-api',
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/clients',
        'http.response.status_code': 200,
        'camarad.workspace_id': w.workspaceId,
      },
    })
    const queries = childrenOf(spans, http).filter((s) => s.name === 'db.query')
    expect(queries.length).toBeGreaterThan(0)
    for (const q of queries) {
      expect(q.traceId).toBe(traceId)
      expect(q.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'camarad.request_id': requestId })
      // The statement's text with its placeholders, never the values bound to them.
      expect(String(q.attributes['db.query.text'])).not.toContain(w.workspaceId)
    }
    expect(queries.some((q) => q.attributes['db.operation.name'] === 'SELECT')).toBe(true)
    expect(queries.some((q) => String(q.attributes['db.query.text']).includes('$1'))).toBe(true)
    // Queries outside any traced operation (boot, pollers) are not traces of their own.
    expect(spans.filter((s) => s.name === 'db.query' && !s.parentSpanId)).toEqual([])
  })

  it('traces a chat answer: the POST’s queries after its body is read, and the metered model call', async () => {
    const conversation = await call(ctx.app, 'POST', '/api/chat/conversations', as(), {
      agentId: 'builtin.ppc-specialist',
    })
    expect(conversation.statusCode, conversation.body).toBe(201)
    const requestId = 'trace-chat-answer-0001'
    // Over a real socket, the body sent in two writes: its second part arrives after the hooks ran, in a socket event
    // (`inject` would not show whether the handler still runs in the request's context).
    const payload = JSON.stringify({ content: 'How do I lower my cost per click?' })
    const status = await new Promise<number>((ok, fail) => {
      const req = request(`${base}/api/chat/conversations/${conversation.json().id}/messages`, {
        method: 'POST',
        headers: {
          ...as().headers,
          cookie: w.user.cookie,
          origin: ORIGIN,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-request-id': requestId,
        },
      })
      req.on('response', (res) => {
        res.resume()
        res.on('end', () => ok(res.statusCode ?? 0))
      })
      req.on('error', fail)
      req.write(payload.slice(0, 10))
      setTimeout(() => req.end(payload.slice(10)), 50)
    })
    expect(status).toBe(200)

    const spans = await exported()
    const http = serverSpan(spans, requestId)
    expect(http.name).toBe('POST /api/chat/conversations/:id/messages')
    // Written by the handler, after the body was parsed outside the request's context: still its children.
    const writes = childrenOf(spans, http).filter((s) => s.attributes['db.operation.name'] === 'INSERT')
    expect(writes.length).toBeGreaterThan(0)
    const model = spans.filter((s) => s.name === 'model.call' && s.traceId === http.traceId)
    expect(model).toHaveLength(1)
    expect(model[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'offline',
      'gen_ai.request.model': 'offline:camarad-offline',
      'camarad.surface': 'chat',
      'camarad.outcome': 'complete',
      'camarad.workspace_id': w.workspaceId,
    })
    expect(model[0]!.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
    expect(model[0]!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)
    expect(model[0]!.status).not.toBe(ERROR)
  })

  it('traces each step of a flow run with the run id as its request id', async () => {
    const created = await call(ctx.app, 'POST', '/api/flows', as(), {
      name: 'Traced',
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
    expect((await call(ctx.app, 'POST', `/api/flows/${flowId}/publish`, as())).statusCode).toBe(200)
    const started = await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, as(), { input: { a: 1, b: 2 } })
    expect(started.statusCode, started.body).toBe(202)
    const runId = started.json().runId as string
    await ctx.container.flows.engine.drain()

    const steps = (await exported()).filter((s) => s.name === 'flow.step' && s.attributes['camarad.run_id'] === runId)
    expect(steps.map((s) => [s.attributes['camarad.node_id'], s.attributes['camarad.node_type']]).sort()).toEqual([
      ['start', 'core.manual'],
      ['total', 'core.set'],
    ])
    for (const s of steps)
      expect(s.attributes).toMatchObject({
        'camarad.request_id': runId,
        'camarad.flow_id': flowId,
        'camarad.workspace_id': w.workspaceId,
        'camarad.step_status': 'completed',
        'camarad.attempt': 1,
      })
  })

  it('marks a webhook’s request span with its source', async () => {
    const requestId = 'trace-webhook-0001'
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, 'x-hub-signature-256': 'sha256=00' },
      payload: '{"object":"whatsapp_business_account","entry":[]}',
    })
    expect(res.statusCode).toBeGreaterThanOrEqual(400)

    const http = serverSpan(await exported(), requestId)
    expect(http).toMatchObject({
      name: 'POST /api/webhooks/whatsapp',
      attributes: { 'webhook.source': 'whatsapp', 'http.response.status_code': res.statusCode },
    })
    expect(isTracing()).toBe(true)
    expect(collector.refused).toEqual([])
  })

  it('traces each outbox send with its number, kind and outcome, the message id as its request id', async () => {
    const ch = await call(ctx.app, 'POST', '/api/channels', as(), {
      kind: 'cloud',
      name: 'Bookings',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
      businessAccountId: WABA,
    })
    expect(ch.statusCode, ch.body).toBe(201)
    const raw = JSON.stringify(fake.inboundText(NUMBER, { waId: '40711111111' }, 'Bună!'))
    expect(await webhookOf(() => ctx.app)(raw, fake.sign(raw))).toBe(200)
    const thread = (await call(ctx.app, 'GET', '/api/inbox/threads', as())).json().items[0] as { id: string }
    const queued = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/messages`, as(), { text: 'Salut' })
    expect(queued.statusCode, queued.body).toBe(201)
    const messageId = queued.json().id as string

    const dispatcher = createDispatcher({
      db: ctx.container.db,
      sender: ctx.container.channels.sender,
      limits: ctx.container.channels.limits,
      pacer: createPgPacer(ctx.container.db),
      live: ctx.container.inbox.live,
      settings: OUTBOX_DEFAULTS,
      log: () => undefined,
    })
    await dispatcher.round()
    await dispatcher.settled()

    const sends = (await exported()).filter((s) => s.name === 'outbox.send')
    expect(sends).toHaveLength(1)
    expect(sends[0]!.attributes).toMatchObject({
      'camarad.channel_id': ch.json().id,
      'camarad.message_kind': 'text',
      'camarad.outcome': 'sent',
      'camarad.request_id': messageId,
    })
    const deliveries = collector.spans.filter(
      (s) => s.kind === SERVER && s.attributes['webhook.source'] === 'whatsapp' && s.status !== ERROR,
    )
    expect(deliveries.some((s) => s.attributes['http.response.status_code'] === 200)).toBe(true)
  })
})
