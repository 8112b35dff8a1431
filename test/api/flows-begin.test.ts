import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph, FlowRunTrace } from '../../contracts/flows.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { parseSse } from '../sse.ts'
import { edge, node } from '../flow-graph.ts'

// A webhook that answers when its run completes starts the run without storing it: the run is stored at its first
// checkpoint (before its first side effect, at a wait, or at its end). These tests hold what that must keep: the
// stored run is whole, a side effect never happens before the run exists, the workspace cap still holds, and an
// answer that names a run names a stored one.

describe('webhook runs stored at their first checkpoint', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  const publish = async (graph: FlowGraph) => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name: 'Flow', graph })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())).statusCode).toBe(200)
    const rotated = await call(ctx.app, 'POST', `/api/flows/${flow.id}/webhook/rotate`, owner())
    return { flow, path: new URL(rotated.json().url as string).pathname }
  }
  const hook = (path: string, payload: Record<string, unknown>) =>
    ctx.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload })
  const trace = async (runId: string) => call(ctx.app, 'GET', `/api/flows/runs/${runId}`, owner())

  beforeAll(async () => {
    ctx = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.0/8', FLOW_CONCURRENCY_PER_WORKSPACE: '1' })
    w = await onboard(ctx.app, 'flows-begin')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('stores a run of pure steps once, complete: every step, the log from `run` to `done`, the run layer row', async () => {
    const { flow, path } = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'on-completion' }),
        node('sum', 'core.set', { fields: { total: { $expr: 'body.a + body.b' } }, keepInput: false }, 200),
        node('big', 'core.condition', { if: { $expr: 'total > 10' } }, 400),
      ],
      edges: [edge('hook', 'sum'), edge('sum', 'big')],
    })
    const answer = await hook(path, { a: 4, b: 7 })
    expect(answer.statusCode, answer.body).toBe(200)
    expect(answer.json()).toEqual({ total: 11 })
    const runId = answer.headers['x-flow-run-id'] as string
    const t = (await trace(runId)).json() as FlowRunTrace
    expect(t.run).toMatchObject({ id: runId, flowId: flow.id, status: 'completed', trigger: 'webhook', steps: 3 })
    expect(t.output).toEqual({ total: 11 })
    expect(t.input).toMatchObject({ body: { a: 4, b: 7 } })
    expect(t.steps.map((s) => [s.nodeId, s.status, s.port])).toEqual([
      ['hook', 'completed', 'out'],
      ['sum', 'completed', 'out'],
      ['big', 'completed', 'true'],
    ])
    const events = parseSse((await call(ctx.app, 'GET', `/api/flows/runs/${runId}/events`, owner())).body)
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1))
    expect(events[0]!.event).toBe('run')
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'completed', steps: 3 } })
    const layer = await ctx.container.runs.get(w.workspaceId, runId)
    expect(layer).toMatchObject({ kind: 'flow', status: 'completed' })
    expect(layer!.finishedAt).not.toBeNull()
  })

  it('stores a failed run of pure steps the same way, and one with a large payload with it stored once', async () => {
    const { path } = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'on-completion' }),
        node('big', 'core.set', { fields: { blob: { $expr: 'body.text' } }, keepInput: false }, 200),
        node(
          'stop',
          'core.stop-with-error',
          { code: 'flow.too_big', message: { $expr: '"got " & $string($length(blob))' } },
          400,
        ),
      ],
      edges: [edge('hook', 'big'), edge('big', 'stop')],
    })
    for (const size of [10, 100_000]) {
      const answer = await hook(path, { text: 'x'.repeat(size) })
      expect(answer.statusCode, answer.body).toBe(500)
      expect(answer.json()).toMatchObject({ code: 'flow.too_big', message: `got ${size}` })
      const runId = answer.headers['x-flow-run-id'] as string
      const t = (await trace(runId)).json() as FlowRunTrace
      expect(t.run).toMatchObject({ status: 'failed', error: { code: 'flow.too_big' } })
      expect(t.steps.map((s) => [s.nodeId, s.status])).toEqual([
        ['hook', 'completed'],
        ['big', 'completed'],
        ['stop', 'failed'],
      ])
      expect((t.steps[1]!.output as { blob: string }).blob).toHaveLength(size)
      const events = parseSse((await call(ctx.app, 'GET', `/api/flows/runs/${runId}/events`, owner())).body)
      expect(events.at(-1)).toMatchObject({
        event: 'done',
        data: { status: 'failed', error: { code: 'flow.too_big' } },
      })
      expect(await ctx.container.runs.get(w.workspaceId, runId)).toMatchObject({ status: 'failed' })
    }
  })

  it('stores the run, its step marked started, before the side effect happens', async () => {
    const seen: { status: number; steps: [string, string][] }[] = []
    const receiver: Server = createServer((_req, res) => {
      const runId = String(_req.headers['idempotency-key']).split(':')[1]!
      void trace(runId).then((r) => {
        const t = r.json() as FlowRunTrace
        seen.push({ status: r.statusCode, steps: t.steps.map((s) => [s.nodeId, s.status]) })
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      })
    })
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok))
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/x`
      const { path } = await publish({
        nodes: [
          node('hook', 'core.webhook', { respond: 'on-completion' }),
          node('prep', 'core.set', { fields: { n: 1 } }, 200),
          node('call', 'core.http', { method: 'POST', url, body: { $expr: 'n' } }, 400),
        ],
        edges: [edge('hook', 'prep'), edge('prep', 'call')],
      })
      const answer = await hook(path, {})
      expect(answer.statusCode, answer.body).toBe(200)
      expect(seen).toEqual([
        {
          status: 200,
          steps: [
            ['hook', 'completed'],
            ['prep', 'completed'],
            ['call', 'started'],
          ],
        },
      ])
      const t = (await trace(answer.headers['x-flow-run-id'] as string)).json() as FlowRunTrace
      expect(t.run.status).toBe('completed')
      expect(t.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed'])
    } finally {
      await new Promise<void>((ok) => receiver.close(() => ok()))
    }
  })

  it('stores a run that reaches a side effect with its workspace at the cap as queued, and runs it when a slot frees', async () => {
    let release!: () => void
    const released = new Promise<void>((ok) => (release = ok))
    const calls: string[] = []
    const receiver: Server = createServer((req, res) => {
      calls.push(req.url ?? '')
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      if (req.url === '/hold') void released.then(answer)
      else answer()
    })
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok))
    try {
      const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
      const holding = await publish({
        nodes: [
          node('hook', 'core.webhook', { respond: 'immediately' }),
          node('hold', 'core.http', { url: `${base}/hold` }, 200),
        ],
        edges: [edge('hook', 'hold')],
      })
      const waiting = await publish({
        nodes: [
          node('hook', 'core.webhook', { respond: 'on-completion', timeoutMs: 10_000 }),
          node('go', 'core.http', { url: `${base}/go` }, 200),
        ],
        edges: [edge('hook', 'go')],
      })
      expect((await hook(holding.path, {})).statusCode).toBe(202)
      while (!calls.includes('/hold')) await new Promise((ok) => setTimeout(ok, 10))
      // The workspace's one slot is taken: the second run is stored queued and does not call out.
      const answer = hook(waiting.path, {})
      let queued: { id: string; status: string } | undefined
      while (!queued) {
        const list = await call(ctx.app, 'GET', `/api/flows/${waiting.flow.id}/runs`, owner())
        queued = (list.json().items as { id: string; status: string }[])[0]
        if (!queued) await new Promise((ok) => setTimeout(ok, 10))
      }
      expect(queued.status).toBe('queued')
      expect(calls).toEqual(['/hold'])
      release()
      const done = await answer
      expect(done.statusCode, done.body).toBe(200)
      expect(done.headers['x-flow-run-id']).toBe(queued.id)
      expect(calls).toEqual(['/hold', '/go'])
      const t = (await trace(queued.id)).json() as FlowRunTrace
      expect(t.run.status).toBe('completed')
      const events = parseSse((await call(ctx.app, 'GET', `/api/flows/runs/${queued.id}/events`, owner())).body)
      expect(events.filter((e) => e.event === 'run')).toHaveLength(1)
      expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1))
    } finally {
      release()
      await ctx.container.flows.engine.drain()
      await new Promise<void>((ok) => receiver.close(() => ok()))
    }
  })

  it('answers past its timeout with the id of a run that is stored, and the run goes on to complete', async () => {
    const { path } = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'on-completion', timeoutMs: 100 }),
        node('each', 'core.loop', { items: { $expr: 'body.items' } }, 200),
        // Not a simple expression: every iteration is a round trip to the sandbox and two sums over 99 999 numbers (the
        // sandbox caps sequences at 100 000) — about 10 ms; one sum over 20 000 took under 1 ms on a warm sandbox and let
        // the run end inside the 100 ms. So the run is still going when the webhook's 100 ms are up.
        node(
          'label',
          'core.set',
          { fields: { label: { $expr: '$string($sum([1..99999]) + $sum([1..99999]) + n)' } } },
          400,
        ),
      ],
      edges: [edge('hook', 'each'), edge('each', 'label', 'each')],
    })
    const answer = await hook(path, { items: Array.from({ length: 100 }, (_, n) => ({ n })) })
    expect(answer.statusCode, answer.body).toBe(202)
    const runId = answer.json().runId as string
    const now = await trace(runId)
    expect(now.statusCode, now.body).toBe(200)
    expect((now.json() as FlowRunTrace).run.status).toBe('running')
    await ctx.container.flows.engine.drain(60_000)
    const t = (await trace(runId)).json() as FlowRunTrace
    expect(t.run.status).toBe('completed')
    expect(t.steps.filter((s) => s.nodeId === 'label')).toHaveLength(100)
  })
})
