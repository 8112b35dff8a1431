import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph } from '../../contracts/flows.ts'
import { createEngine, type Engine } from '../../src/modules/flows/engine/engine.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type Caller, type TestContext } from '../harness.ts'
import { edge, node } from '../flow-graph.ts'

// The lease that keeps one process at a time on a run, isolated: a second engine on the same database (another
// process, as far as leases go: it has its own owner id) tries to take a run over while the first is inside a step.
// The lease is 1 s here, so any step longer than that is past it unless the engine covers it.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('flow run leases', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let model: FakeOpenAI
  let other: Engine
  let modelCalls = 0
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  const publish = async (graph: FlowGraph) => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name: 'Flow', graph })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())).statusCode).toBe(200)
    return flow
  }
  const start = async (flowId: string) => {
    const res = await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, owner(), { input: {} })
    expect(res.statusCode, res.body).toBe(202)
    return res.json().runId as string
  }

  beforeAll(async () => {
    model = await startFakeOpenAI({
      firstTokenDelayMs: 2_000,
      usage: { prompt_tokens: 40, completion_tokens: 12 },
      reply: () => {
        modelCalls++
        return 'Qualified.'
      },
    })
    ctx = await createTestContext({
      EGRESS_ALLOW_PRIVATE: '127.0.0.0/8',
      FLOW_LEASE_SECONDS: '1',
      OPENAI_API_KEY: 'sk-lease',
      OPENAI_BASE_URL: model.url,
    })
    w = await onboard(ctx.app, 'flows-lease')
    const grant = await call(
      ctx.app,
      'POST',
      `/api/operator/workspaces/${w.workspaceId}/credits`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN }, origin: null },
      { credits: 10_000, reason: 'lease test' },
    )
    expect(grant.statusCode, grant.body).toBe(201)
    const c = ctx.container
    other = createEngine({
      db: c.db,
      runs: c.runs,
      bus: c.bus,
      queue: c.queue,
      registry: c.flows.nodes,
      expressions: c.flows.expressions,
      config: { leaseMs: 1_000 },
    })
  }, 120_000)
  afterAll(async () => {
    await other?.drain()
    await ctx?.close()
    await model?.close()
  })

  it("covers an external step's whole timeout: no takeover re-calls it while it is in flight", async () => {
    const calls: string[] = []
    const slow: Server = createServer((req, res) => {
      calls.push(String(req.headers['idempotency-key']))
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 2_500)
    })
    await new Promise<void>((ok) => slow.listen(0, '127.0.0.1', ok))
    try {
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`
      const flow = await publish({
        nodes: [node('start', 'core.manual'), node('call', 'core.http', { url, timeoutMs: 5_000 }, 200)],
        edges: [edge('start', 'call')],
      })
      const runId = await start(flow.id)
      while (!calls.length) await sleep(10)
      await sleep(1_300) // past the 1 s lease, inside the call
      const row = await ctx.container.db
        .selectFrom('flowRuns')
        .select(['leaseUntil', 'leaseOwner'])
        .where('id', '=', runId)
        .executeTakeFirstOrThrow()
      expect(row.leaseOwner).toBe(ctx.container.flows.engine.owner)
      expect(row.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 2_000)
      expect(await other.slice(runId)).toBeUndefined()
      await ctx.container.flows.engine.drain()
      const step = await ctx.container.db
        .selectFrom('flowSteps')
        .select(['status', 'attempts'])
        .where('runId', '=', runId)
        .where('nodeId', '=', 'call')
        .executeTakeFirstOrThrow()
      expect(step).toEqual({ status: 'completed', attempts: 1 })
      expect(calls).toEqual([`flow:${runId}:call:0`])
    } finally {
      await new Promise<void>((ok) => slow.close(() => ok()))
    }
  })

  it("commits an AI step's answer and debit only under the lease: a slice that lost it keeps nothing", async () => {
    const flow = await publish({
      nodes: [node('start', 'core.manual'), node('ai', 'core.ai', { prompt: 'Qualify the lead.' }, 200)],
      edges: [edge('start', 'ai')],
    })
    const before = modelCalls
    const runId = await start(flow.id)
    const db = ctx.container.db
    const aiStep = () =>
      db
        .selectFrom('flowSteps')
        .select(['status', 'attempts', 'credits'])
        .where('runId', '=', runId)
        .where('nodeId', '=', 'ai')
        .executeTakeFirst()
    const debits = () =>
      db
        .selectFrom('creditEntries')
        .select(['amount'])
        .where('workspaceId', '=', w.workspaceId)
        .where('kind', '=', 'debit')
        .where('requestId', '=', `flow:${runId}:ai:0`)
        .execute()
    while ((await aiStep())?.status !== 'started') await sleep(10)
    // While the model answers (2 s), the run passes to another process, as a takeover after an expired lease does.
    await db.updateTable('flowRuns').set({ leaseOwner: 'p_elsewhere' }).where('id', '=', runId).execute()
    await ctx.container.flows.engine.drain()
    expect(modelCalls - before).toBe(1)
    // The answer came, and nothing of it was kept: no debit, no completed step, no credits on the run.
    expect(await debits()).toEqual([])
    expect(await aiStep()).toMatchObject({ status: 'started', attempts: 1 })
    expect(
      await db.selectFrom('flowRuns').select(['status', 'credits']).where('id', '=', runId).executeTakeFirstOrThrow(),
    ).toEqual({ status: 'running', credits: 0n })

    // Its lease runs out; another engine takes the run over and asks again under the same request id: one debit.
    await db
      .updateTable('flowRuns')
      .set({ leaseUntil: new Date(Date.now() - 1_000) })
      .where('id', '=', runId)
      .execute()
    expect(await other.slice(runId)).toMatchObject({ status: 'completed' })
    expect(modelCalls - before).toBe(2)
    const step = (await aiStep())!
    expect(step).toMatchObject({ status: 'completed', attempts: 2 })
    const charged = await debits()
    expect(charged).toHaveLength(1)
    expect(-BigInt(charged[0]!.amount)).toBe(BigInt(step.credits))
    expect(BigInt(step.credits)).toBeGreaterThan(0n)
  })
})
