import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph, FlowRunTrace } from '../../contracts/flows.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { parseSse } from '../sse.ts'
import { edge, node } from '../flow-graph.ts'

/** A loopback receiver that counts calls per Idempotency-Key and answers what a test queues (else 200 {ok}). */
const countingServer = async () => {
  const calls: { key: string | undefined; body: string; path: string; auth?: string | undefined }[] = []
  const script: { status: number; headers?: Record<string, string> }[] = []
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      calls.push({
        key: req.headers['idempotency-key'] as string | undefined,
        body,
        path: req.url ?? '',
        auth: req.headers.authorization,
      })
      const next = script.shift() ?? { status: 200 }
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers })
      res.end(JSON.stringify({ ok: next.status < 400, seen: calls.length }))
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    script,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}

describe('flow runs', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let receiver: Awaited<ReturnType<typeof countingServer>>
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  const publish = async (graph: FlowGraph, name = 'Flow') => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name, graph })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    const published = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    expect(published.statusCode, published.body).toBe(200)
    return flow
  }
  const start = async (flowId: string, input: unknown = {}) => {
    const res = await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, owner(), { input })
    expect(res.statusCode, res.body).toBe(202)
    return res.json().runId as string
  }
  const trace = async (runId: string) => {
    const res = await call(ctx.app, 'GET', `/api/flows/runs/${runId}`, owner())
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as FlowRunTrace
  }
  /** Lets the run's slices in this process finish, then reads the trace. */
  const settled = async (runId: string) => {
    await ctx.container.flows.engine.drain()
    return trace(runId)
  }

  beforeAll(async () => {
    ctx = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.0/8' })
    w = await onboard(ctx.app, 'flows-runs')
    receiver = await countingServer()
  })
  afterAll(async () => {
    await receiver?.close()
    await ctx?.close()
  })

  it('runs trigger → set → condition → HTTP, checkpointing each step with its input and output', async () => {
    const flow = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('total', 'core.set', { fields: { total: { $expr: 'a + b' } } }, 200),
        node('big', 'core.condition', { if: { $expr: 'total > 10' } }, 400),
        node(
          'notify',
          'core.http',
          { method: 'POST', url: `${receiver.url}/big`, body: { $expr: '{"total": total}' } },
          600,
        ),
        node('small', 'core.set', { fields: { small: true } }, 600),
      ],
      edges: [
        edge('start', 'total'),
        edge('total', 'big'),
        edge('big', 'notify', 'true'),
        edge('big', 'small', 'false'),
      ],
    })
    const before = receiver.calls.length
    const runId = await start(flow.id, { a: 7, b: 5 })
    const t = await settled(runId)

    expect(t.run).toMatchObject({ status: 'completed', trigger: 'manual', steps: 4, error: null })
    expect(t.steps.map((s) => [s.nodeId, s.status, s.port])).toEqual([
      ['start', 'completed', 'out'],
      ['total', 'completed', 'out'],
      ['big', 'completed', 'true'],
      ['notify', 'completed', 'out'],
    ])
    expect(t.steps[1]!.output).toEqual({ a: 7, b: 5, total: 12 })
    expect(t.steps[3]).toMatchObject({ attempts: 1, idempotencyKey: `flow:${runId}:notify:0` })
    expect((t.steps[3]!.output as { status: number }).status).toBe(200)
    const sent = receiver.calls.slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ key: `flow:${runId}:notify:0`, path: '/big' })
    expect(JSON.parse(sent[0]!.body)).toEqual({ total: 12 })
    expect(t.output).toEqual(t.steps[3]!.output)

    const small = await settled(await start(flow.id, { a: 1, b: 2 }))
    expect(small.steps.map((s) => s.nodeId)).toEqual(['start', 'total', 'big', 'small'])
    expect(receiver.calls.length).toBe(before + 1)
  })

  it('streams the step events and replays them after Last-Event-ID', async () => {
    const flow = await publish({
      nodes: [node('start', 'core.manual'), node('twice', 'core.set', { fields: { n: { $expr: 'n * 2' } } }, 200)],
      edges: [edge('start', 'twice')],
    })
    const runId = await start(flow.id, { n: 21 })
    await ctx.container.flows.engine.drain()
    const all = parseSse((await call(ctx.app, 'GET', `/api/flows/runs/${runId}/events`, owner())).body)
    const types = all.map((e) => e.event)
    expect(types[0]).toBe('run')
    expect(types.filter((t) => t === 'step-completed')).toHaveLength(2)
    expect(types.at(-1)).toBe('done')
    expect(all.at(-1)!.data).toMatchObject({ status: 'completed', steps: 2 })
    const rest = parseSse(
      (
        await call(ctx.app, 'GET', `/api/flows/runs/${runId}/events`, {
          ...owner(),
          headers: { ...owner().headers, 'last-event-id': String(all[1]!.id) },
        })
      ).body,
    )
    expect(rest.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id))
  })

  it('retries a 503 with the same idempotency key after its backoff, and routes a 4xx to the error port', async () => {
    const flow = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('call', 'core.http', { url: `${receiver.url}/flaky`, retry: { max: 2, baseMs: 100, maxMs: 200 } }, 200),
      ],
      edges: [edge('start', 'call')],
    })
    receiver.script.push({ status: 503 })
    const runId = await start(flow.id)
    const waiting = await settled(runId)
    expect(waiting.run.status).toBe('waiting')
    expect(waiting.steps[1]).toMatchObject({ status: 'retrying', attempts: 1, error: { code: 'flows.http_status' } })
    await new Promise((ok) => setTimeout(ok, 250))
    await ctx.container.flows.engine.slice(runId)
    const t = await trace(runId)
    expect(t.run.status).toBe('completed')
    expect(t.steps[1]).toMatchObject({ status: 'completed', attempts: 2 })
    const keys = receiver.calls.filter((c) => c.path === '/flaky').map((c) => c.key)
    expect(keys).toEqual([`flow:${runId}:call:0`, `flow:${runId}:call:0`])

    const routed = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('call', 'core.http', { url: `${receiver.url}/missing` }, 200),
        node('fallback', 'core.set', { fields: { failed: { $expr: 'error.code' } }, keepInput: false }, 400),
      ],
      edges: [edge('start', 'call'), edge('call', 'fallback', 'error')],
    })
    receiver.script.push({ status: 404 })
    const r = await settled(await start(routed.id))
    expect(r.run.status).toBe('completed')
    expect(r.steps.map((s) => [s.nodeId, s.port])).toEqual([
      ['start', 'out'],
      ['call', 'error'],
      ['fallback', 'out'],
    ])
    expect(r.output).toEqual({ failed: 'flows.http_status' })
  })

  it('loops over items with one step per item and collects their outputs', async () => {
    const flow = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('each', 'core.loop', { items: { $expr: 'items' } }, 200),
        node('double', 'core.set', { fields: { twice: { $expr: 'n * 2' } } }, 400),
        node('after', 'core.set', { fields: { count: { $expr: '$count($)' } }, keepInput: false }, 400),
      ],
      edges: [edge('start', 'each'), edge('each', 'double', 'each'), edge('each', 'after', 'done')],
    })
    const t = await settled(await start(flow.id, { items: [{ n: 1 }, { n: 2 }, { n: 3 }] }))
    expect(t.run.status).toBe('completed')
    expect(t.steps.filter((s) => s.nodeId === 'double').map((s) => [s.iteration, s.output])).toEqual([
      ['0.0', { n: 1, twice: 2 }],
      ['0.1', { n: 2, twice: 4 }],
      ['0.2', { n: 3, twice: 6 }],
    ])
    expect(t.steps.find((s) => s.nodeId === 'each')!.output).toEqual([
      { n: 1, twice: 2 },
      { n: 2, twice: 4 },
      { n: 3, twice: 6 },
    ])
    expect(t.output).toEqual({ count: 3 })
  })

  it('fails the run on a stop step, and cancels a run parked on a delay', async () => {
    const stop = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('halt', 'core.stop-with-error', { code: 'lead.rejected', message: { $expr: '"no " & name' } }, 200),
      ],
      edges: [edge('start', 'halt')],
    })
    const failed = await settled(await start(stop.id, { name: 'budget' }))
    expect(failed.run).toMatchObject({ status: 'failed', error: { code: 'lead.rejected', message: 'no budget' } })

    const delayed = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('later', 'core.delay', { seconds: 3600 }, 200),
        node('after', 'core.set', { fields: { x: 1 } }, 400),
      ],
      edges: [edge('start', 'later'), edge('later', 'after')],
    })
    const runId = await start(delayed.id)
    const parked = await settled(runId)
    expect(parked.run.status).toBe('waiting')
    expect(parked.steps[1]).toMatchObject({ status: 'waiting' })
    const cancelled = await call(ctx.app, 'POST', `/api/flows/runs/${runId}/cancel`, owner())
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    expect(cancelled.json().status).toBe('cancelled')
    await ctx.container.flows.engine.slice(runId)
    const t = await trace(runId)
    expect(t.run.status).toBe('cancelled')
    expect(t.steps.map((s) => s.status)).toEqual(['completed', 'cancelled'])
    expect((await call(ctx.app, 'POST', `/api/flows/runs/${runId}/cancel`, owner())).statusCode).toBe(409)
  })

  it('answers a webhook with 202 and the run id, runs one run per Idempotency-Key, and checks the HMAC', async () => {
    const flow = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'immediately' }),
        node('pick', 'core.set', { fields: { email: { $expr: 'body.email' } }, keepInput: false }, 200),
      ],
      edges: [edge('hook', 'pick')],
    })
    const secret = await call(ctx.app, 'POST', `/api/flows/${flow.id}/webhook/rotate`, owner())
    expect(secret.statusCode, secret.body).toBe(200)
    const path = new URL(secret.json().url as string).pathname
    const send = (headers: Record<string, string> = {}, body = '{"email":"ana@example.com"}') =>
      ctx.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      })
    const first = await send({ 'idempotency-key': 'evt-1' })
    expect(first.statusCode, first.body).toBe(202)
    const again = await send({ 'idempotency-key': 'evt-1' })
    expect(again.json().runId).toBe(first.json().runId)
    const t = await settled(first.json().runId as string)
    expect(t.run).toMatchObject({ status: 'completed', trigger: 'webhook' })
    expect(t.output).toEqual({ email: 'ana@example.com' })
    const unknown = await ctx.app.inject({ method: 'POST', url: '/api/hooks/flows/whk_unknownunknownunknown' })
    expect(unknown.statusCode, unknown.body).toBe(404)

    const signed = await publish({
      nodes: [node('hook', 'core.webhook', { hmacHeader: 'x-signature' })],
      edges: [],
    })
    const keys = (await call(ctx.app, 'POST', `/api/flows/${signed.id}/webhook/rotate`, owner())).json()
    const url = new URL(keys.url as string).pathname
    const body = '{"order":42}'
    const sign = (text: string) =>
      createHmac('sha256', keys.hmacSecret as string)
        .update(text)
        .digest('hex')
    const post = (signature?: string) =>
      ctx.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature': signature } : {}) },
        payload: body,
      })
    expect((await post(sign(body))).statusCode).toBe(202)
    expect((await post(`sha256=${sign(body)}`)).statusCode).toBe(202)
    const bad = await post(sign('{"order":43}'))
    expect(bad.statusCode).toBe(401)
    expect(bad.json().error.code).toBe('flows.webhook_signature')
    expect((await post()).statusCode).toBe(401)
  })

  it('answers one run to a webhook delivered many times at once with one Idempotency-Key, never a 500', async () => {
    const flow = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'immediately' }),
        node('pick', 'core.set', { fields: { n: 1 } }, 200),
      ],
      edges: [edge('hook', 'pick')],
    })
    const path = new URL(
      (await call(ctx.app, 'POST', `/api/flows/${flow.id}/webhook/rotate`, owner())).json().url as string,
    ).pathname
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        ctx.app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': 'application/json', 'idempotency-key': 'burst-1' },
          payload: '{"lead":1}',
        }),
      ),
    )
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 202))
    expect(new Set(answers.map((a) => a.json().runId)).size).toBe(1)
    await ctx.container.flows.engine.drain()
  })

  it('answers a webhook with the respond step, or with the last output at completion', async () => {
    const respond = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'respond-node', timeoutMs: 5000 }),
        node('reply', 'core.respond-to-webhook', { status: 201, body: { $expr: '{"hello": body.name}' } }, 200),
        node('after', 'core.set', { fields: { done: true } }, 400),
      ],
      edges: [edge('hook', 'reply'), edge('reply', 'after')],
    })
    const r = await call(ctx.app, 'POST', `/api/flows/${respond.id}/webhook/rotate`, owner())
    const answered = await ctx.app.inject({
      method: 'POST',
      url: new URL(r.json().url as string).pathname,
      headers: { 'content-type': 'application/json' },
      payload: { name: 'Ana' },
    })
    expect(answered.statusCode, answered.body).toBe(201)
    expect(answered.json()).toEqual({ hello: 'Ana' })
    expect(answered.headers['x-flow-run-id']).toMatch(/^run_/)

    const completion = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'on-completion' }),
        node('sum', 'core.set', { fields: { total: { $expr: 'body.a + body.b' } }, keepInput: false }, 200),
      ],
      edges: [edge('hook', 'sum')],
    })
    const c = await call(ctx.app, 'POST', `/api/flows/${completion.id}/webhook/rotate`, owner())
    const done = await ctx.app.inject({
      method: 'POST',
      url: new URL(c.json().url as string).pathname,
      headers: { 'content-type': 'application/json' },
      payload: { a: 2, b: 3 },
    })
    expect(done.statusCode, done.body).toBe(200)
    expect(done.json()).toEqual({ total: 5 })
  })

  it('asks the model in an AI step, keeps its memory per key, and meters it under the step key', async () => {
    const flow = await publish({
      nodes: [
        node('start', 'core.manual'),
        node(
          'qualify',
          'core.ai',
          {
            prompt: { $expr: '"Qualify this lead: " & message' },
            memory: { key: { $expr: 'contact' }, maxTurns: 2 },
          },
          200,
        ),
        node('long', 'core.condition', { if: { $expr: '$length(text) > 0' } }, 400),
      ],
      edges: [edge('start', 'qualify'), edge('qualify', 'long')],
    })
    const first = await settled(await start(flow.id, { contact: '+40712345678', message: 'We want a party' }))
    expect(first.run.status, JSON.stringify(first.run.error)).toBe('completed')
    const ai = first.steps.find((s) => s.nodeId === 'qualify')!
    expect(ai).toMatchObject({ status: 'completed', attempts: 1, idempotencyKey: `flow:${first.run.id}:qualify:0` })
    expect(typeof (ai.output as { text: string }).text).toBe('string')
    expect(first.steps.find((s) => s.nodeId === 'long')!.port).toBe('true')
    const calls = await ctx.container.db
      .selectFrom('modelCalls')
      .select(['surface', 'status'])
      .where('requestId', '=', `flow:${first.run.id}:qualify:0`)
      .execute()
    expect(calls).toEqual([{ surface: 'flow', status: 'complete' }])

    await settled(await start(flow.id, { contact: '+40712345678', message: 'Budget 800 lei' }))
    await settled(await start(flow.id, { contact: '+40712345678', message: 'On 14 March' }))
    const memory = await ctx.container.db
      .selectFrom('flowMemories')
      .select(['messages', 'version'])
      .where('clientId', '=', w.clientId)
      .where('key', '=', '+40712345678')
      .executeTakeFirstOrThrow()
    // Three runs on one key: the memory grew each time, kept to its last two turns.
    expect(memory.version).toBe(3)
    expect(memory.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant'])
    expect(memory.messages[2]!.content).toBe('Qualify this lead: On 14 March')
  })

  it('runs a sub-flow and continues with its output; a missing sub-flow fails the step', async () => {
    const child = await publish(
      {
        nodes: [
          node('called', 'core.called-by-flow'),
          node('greet', 'core.set', { fields: { greeting: { $expr: '"Hello " & name' } }, keepInput: false }, 200),
        ],
        edges: [edge('called', 'greet')],
      },
      'Greeter',
    )
    const parent = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('call', 'core.subflow', { flowId: child.id, input: { $expr: '{"name": who}' } }, 200),
        node('shout', 'core.set', { fields: { loud: { $expr: '$uppercase(greeting)' } } }, 400),
      ],
      edges: [edge('start', 'call'), edge('call', 'shout')],
    })
    const t = await settled(await start(parent.id, { who: 'Ana' }))
    expect(t.run.status, JSON.stringify(t.run.error)).toBe('completed')
    expect(t.output).toEqual({ greeting: 'Hello Ana', loud: 'HELLO ANA' })
    const children = await call(ctx.app, 'GET', `/api/flows/${child.id}/runs`, owner())
    const childRun = children.json().items[0]
    expect(childRun).toMatchObject({ trigger: 'subflow', status: 'completed', parentRunId: t.run.id })

    const orphan = await publish({
      nodes: [node('start', 'core.manual'), node('call', 'core.subflow', { flowId: 'fl_doesnotexist000000' }, 200)],
      edges: [edge('start', 'call')],
    })
    const failed = await settled(await start(orphan.id))
    expect(failed.run).toMatchObject({ status: 'failed', error: { code: 'flows.subflow_unavailable' } })
  })

  it('keeps a pg-boss schedule per published schedule flow, fires one run per minute, and refuses a bad cron', async () => {
    const bad = await call(ctx.app, 'POST', '/api/flows', owner(), {
      name: 'Bad schedule',
      graph: {
        nodes: [node('tick', 'core.schedule', { cron: 'every monday', timezone: 'Europe/Bucharest' })],
        edges: [],
      },
    })
    const refused = await call(ctx.app, 'POST', `/api/flows/${bad.json().id}/publish`, owner())
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error.details.issues).toEqual([
      expect.objectContaining({ nodeId: 'tick', path: ['config', 'cron'] }),
    ])

    const flow = await publish({
      nodes: [
        node('tick', 'core.schedule', { cron: '0 8 * * 1', timezone: 'Europe/Bucharest' }),
        node('note', 'core.set', { fields: { at: { $expr: 'scheduledFor' } }, keepInput: false }, 200),
      ],
      edges: [edge('tick', 'note')],
    })
    const keys = () => ctx.container.queue.scheduledKeys(ctx.container.flows.schedules.jobs[0]!)
    expect(await keys()).toContain(flow.id)
    const read = (await call(ctx.app, 'GET', `/api/flows/${flow.id}`, owner())).json() as FlowDto
    const at = new Date('2026-12-07T06:00:10Z')
    const first = await ctx.container.flows.schedules.fire(flow.id, read.publishedVersion!.id, at)
    const again = await ctx.container.flows.schedules.fire(
      flow.id,
      read.publishedVersion!.id,
      new Date('2026-12-07T06:00:40Z'),
    )
    expect(first).toMatch(/^run_/)
    expect(again).toBe(first)
    const t = await settled(first!)
    expect(t.run).toMatchObject({ trigger: 'schedule', status: 'completed' })
    expect(t.output).toEqual({ at: '2026-12-07T06:00:00.000Z' })

    await call(ctx.app, 'POST', `/api/flows/${flow.id}/pause`, owner())
    expect(await keys()).not.toContain(flow.id)
    expect(await ctx.container.flows.schedules.fire(flow.id, read.publishedVersion!.id, at)).toBeUndefined()
  })

  it('sends a vault credential on an HTTP step without ever showing it', async () => {
    const added = await call(ctx.app, 'POST', '/api/flows/credentials', owner(), {
      name: 'CRM token',
      kind: 'bearer',
      value: 'sk-live-0123456789abcdef',
    })
    expect(added.statusCode, added.body).toBe(201)
    expect(added.json()).toMatchObject({ name: 'CRM token', kind: 'bearer', hint: '…cdef' })
    expect(added.body).not.toContain('sk-live')
    const dup = await call(ctx.app, 'POST', '/api/flows/credentials', owner(), {
      name: 'CRM token',
      kind: 'bearer',
      value: 'x',
    })
    expect(dup.json().error.code).toBe('flows.credential_name_taken')
    const id = added.json().id as string
    const flow = await publish({
      nodes: [
        node('start', 'core.manual'),
        node('push', 'core.http', { url: `${receiver.url}/crm`, credentialId: id }, 200),
      ],
      edges: [edge('start', 'push')],
    })
    const t = await settled(await start(flow.id))
    expect(t.run.status).toBe('completed')
    expect(receiver.calls.filter((c) => c.path === '/crm').map((c) => c.auth)).toEqual([
      'Bearer sk-live-0123456789abcdef',
    ])
    const events = (await call(ctx.app, 'GET', `/api/flows/runs/${t.run.id}/events`, owner())).body
    expect(JSON.stringify(t) + events).not.toContain('sk-live')

    expect((await call(ctx.app, 'DELETE', `/api/flows/credentials/${id}`, owner())).statusCode).toBe(204)
    expect((await call(ctx.app, 'GET', '/api/flows/credentials', owner())).json()).toEqual([])
    const after = await settled(await start(flow.id))
    expect(after.run).toMatchObject({ status: 'failed', error: { code: 'flows.credential_not_found' } })
  })

  it('keeps at most the workspace cap of runs executing, and runs the rest when a slot frees', async () => {
    let active = 0
    let peak = 0
    const slow = createServer((_req, res) => {
      active++
      peak = Math.max(peak, active)
      setTimeout(() => {
        active--
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      }, 150)
    })
    await new Promise<void>((ok) => slow.listen(0, '127.0.0.1', ok))
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`
    const flow = await publish({
      nodes: [node('start', 'core.manual'), node('wait', 'core.http', { url }, 200)],
      edges: [edge('start', 'wait')],
    })
    const ids = await Promise.all(Array.from({ length: 14 }, () => start(flow.id)))
    await ctx.container.flows.engine.drain(20_000)
    // Deferred runs started as slots freed, in this process: nothing was left for the reaper.
    expect(await ctx.container.flows.engine.reap()).toBe(0)
    const statuses = await Promise.all(ids.map(async (id) => (await trace(id)).run.status))
    expect(statuses).toEqual(ids.map(() => 'completed'))
    expect(peak).toBeLessThanOrEqual(10)
    expect(peak).toBeGreaterThan(1)
    await new Promise<void>((ok) => slow.close(() => ok()))
  })

  it('stores a payload over 64 KB once, by reference, and gives it back whole in the trace', async () => {
    const flow = await publish({
      nodes: [node('start', 'core.manual'), node('big', 'core.set', { fields: { blob: { $expr: 'text' } } }, 200)],
      edges: [edge('start', 'big')],
    })
    const text = 'x'.repeat(100_000)
    const a = await settled(await start(flow.id, { text }))
    const b = await settled(await start(flow.id, { text }))
    expect(a.run.status).toBe('completed')
    expect((a.steps[1]!.output as { blob: string }).blob).toHaveLength(100_000)
    const rows = await ctx.container.db
      .selectFrom('flowSteps')
      .select(['output', 'outputRef'])
      .where('runId', 'in', [a.run.id, b.run.id])
      .where('nodeId', '=', 'big')
      .execute()
    expect(rows.map((r) => r.output)).toEqual([null, null])
    expect(new Set(rows.map((r) => r.outputRef)).size).toBe(1)
    const stored = await ctx.container.db
      .selectFrom('flowPayloads')
      .select('id')
      .where('id', '=', rows[0]!.outputRef!)
      .execute()
    expect(stored).toHaveLength(1)
  })
})
