import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph } from '../../contracts/flows.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, driver, onboard, ORIGIN, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'
import { startServerProcess, type ServerProcess } from '../server-process.ts'
import { edge, node } from '../flow-graph.ts'

/**
 * Crash safety of flow runs (ADR 0004 §3): a server process is killed (SIGKILL) while its runs are calling external
 * services; a new process on the same database takes the runs over once their lease expires and finishes every one,
 * each side effect happening exactly once because a step re-called after the crash sends the same Idempotency-Key.
 * Only meaningful on PostgreSQL (PGlite is one process).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A receiver that honours Idempotency-Key as a payment API does: the effect (a counter per logical operation, named
 * in the body) is applied the first time a key is seen; a repeated key gets the first answer again. Each answer is
 * held 100–300 ms, so steps are in flight when the process dies.
 */
const idempotentReceiver = async () => {
  const calls: { key: string; run: string; node: string }[] = []
  const answers = new Map<string, string>()
  /** Effects applied, per `<run>:<node>` (what the body says the call is for, whatever key it carries). */
  const effects = new Map<string, number>()
  let inflight = 0
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '')
      const body = JSON.parse(raw || '{}') as { run?: string; node?: string }
      calls.push({ key, run: String(body.run), node: String(body.node) })
      let answer = answers.get(key)
      if (answer === undefined) {
        const op = `${body.run}:${body.node}`
        effects.set(op, (effects.get(op) ?? 0) + 1)
        answer = JSON.stringify({ done: op, effect: effects.get(op) })
        answers.set(key, answer)
      }
      inflight++
      setTimeout(
        () => {
          inflight--
          if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(answer)
        },
        100 + Math.floor(Math.random() * 200),
      )
    })
    req.on('error', () => undefined)
    res.on('error', () => undefined)
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    effects,
    keys: () => new Set(calls.map((c) => c.key)),
    inflight: () => inflight,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}

const RUNS = 50

describe.skipIf(driver !== 'postgres')('flow runs survive a killed process (PostgreSQL)', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let receiver: Awaited<ReturnType<typeof idempotentReceiver>>
  let model: FakeOpenAI
  /** Model calls the fake upstream has answered (its `reply` runs just before the answer is written). */
  let answered = 0
  const processes: ServerProcess[] = []
  const owner = () => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  /**
   * A Camarad server process working jobs on the test's database, with a short flow lease and reap interval, the fake
   * model as its OpenAI provider, and credit holds that outlive a restart (a hold of the dead process is replayed by
   * the step's next attempt, not expired by the sweeper first).
   */
  const startWorker = async () => {
    const p = await startServerProcess({
      DATABASE_URL: ctx.container.database.connectionString!,
      PUBLIC_URL: ORIGIN,
      SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
      RUN_WORKER: 'true',
      EGRESS_ALLOW_PRIVATE: '127.0.0.0/8',
      FLOW_LEASE_SECONDS: '2',
      FLOW_REAP_SECONDS: '1',
      RATE_LIMIT_PER_MINUTE: '100000',
      CREDITS_RPM_PER_USER: '100000',
      CREDITS_RPM_PER_WORKSPACE: '100000',
      CREDITS_MAX_CONCURRENT_STREAMS: '1000',
      PLANS_FILE: 'test/fixtures/plans-unlimited.json',
      OPENAI_API_KEY: 'sk-crash',
      OPENAI_BASE_URL: model.url,
      CREDITS_HOLD_TTL_SECONDS: '30',
    })
    processes.push(p)
    return p
  }

  const publish = async (graph: FlowGraph) => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name: 'Crash', graph })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    const published = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    expect(published.statusCode, published.body).toBe(200)
    const hook = await call(ctx.app, 'POST', `/api/flows/${flow.id}/webhook/rotate`, owner())
    expect(hook.statusCode, hook.body).toBe(200)
    return { flow, path: new URL(hook.json().url as string).pathname }
  }

  const runsOf = (flowId: string) =>
    ctx.container.db
      .selectFrom('flowRuns')
      .select(['id', 'status', 'steps', 'error'])
      .where('flowId', '=', flowId)
      .orderBy('createdAt')
      .execute()

  /** Polls until `check` answers true (bounded), printing the server's output when it does not. */
  const until = async (check: () => Promise<boolean>, ms: number, what: string, p?: ServerProcess) => {
    const end = Date.now() + ms
    while (Date.now() < end) {
      if (await check()) return
      await sleep(25)
    }
    throw new Error(`${what} not reached in ${ms} ms${p ? `\n${p.output().slice(-4000)}` : ''}`)
  }

  /**
   * Fires RUNS webhook calls at a fresh process, SIGKILLs it once some runs have completed while `inflight()` calls are
   * waiting for their answer, starts a new process on the same database and waits (bounded) for every run to complete.
   */
  const crashAndRecover = async (flowId: string, path: string, inflight: () => number) => {
    const first = await startWorker()
    const fired = await Promise.all(
      Array.from({ length: RUNS }, (_, n) =>
        fetch(`${first.base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `evt-${n}` },
          body: JSON.stringify({ n, text: `Lead number ${n} wants a quote.` }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { runId?: string } })),
      ),
    )
    expect(fired.map((f) => f.status)).toEqual(Array(RUNS).fill(202))
    const runIds = fired.map((f) => f.body.runId!)
    expect(new Set(runIds).size).toBe(RUNS)

    // Killed while some runs have completed, others have not, and calls are waiting for their answer.
    let atKill = { completed: 0, inflight: 0 }
    await until(
      async () => {
        const completed = (await runsOf(flowId)).filter((r) => r.status === 'completed').length
        // Synchronous from here to the kill: no answer of a loopback fake (same event loop) can slip in between.
        const open = inflight()
        if (completed < 3 || completed >= RUNS || open === 0) return false
        first.child.kill('SIGKILL')
        atKill = { completed, inflight: open }
        return true
      },
      30_000,
      'a kill point (some runs completed, calls in flight)',
      first,
    )
    await first.kill()
    const killedAt = Date.now()

    const second = await startWorker()
    await until(
      async () => {
        const rows = await runsOf(flowId)
        const failed = rows.find((r) => r.status === 'failed' || r.status === 'cancelled')
        if (failed) throw new Error(`run ${failed.id} ended ${failed.status}: ${JSON.stringify(failed.error)}`)
        return rows.length === RUNS && rows.every((r) => r.status === 'completed')
      },
      90_000,
      'every run completed',
      second,
    )
    const recoveredMs = Date.now() - killedAt
    await second.kill()
    const rows = await runsOf(flowId)
    expect(rows.map((r) => [r.status, r.steps])).toEqual(Array(RUNS).fill(['completed', 4]))
    const steps = await ctx.container.db
      .selectFrom('flowSteps')
      .select(['runId', 'nodeId', 'status', 'attempts', 'credits'])
      .where('runId', 'in', runIds)
      .execute()
    expect(steps.filter((s) => s.status !== 'completed')).toEqual([])
    expect(steps).toHaveLength(RUNS * 4)
    return { runIds, atKill, recoveredMs, steps }
  }

  beforeAll(async () => {
    model = await startFakeOpenAI({
      firstTokenDelayMs: 300,
      usage: { prompt_tokens: 40, completion_tokens: 12 },
      reply: () => {
        answered++
        return 'A warm lead: send the quote today.'
      },
    })
    ctx = await createTestContext({
      EGRESS_ALLOW_PRIVATE: '127.0.0.0/8',
      OPENAI_API_KEY: 'sk-crash',
      OPENAI_BASE_URL: model.url,
    })
    w = await onboard(ctx.app, 'flows-crash')
    const grant = await call(
      ctx.app,
      'POST',
      `/api/operator/workspaces/${w.workspaceId}/credits`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN }, origin: null },
      { credits: 10_000, reason: 'crash test' },
    )
    expect(grant.statusCode, grant.body).toBe(201)
  }, 120_000)
  beforeEach(async () => {
    receiver = await idempotentReceiver()
  })
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill()
    await receiver?.close()
  })
  afterAll(async () => {
    await model?.close()
    await ctx?.close()
  })

  it('after a SIGKILL mid-run, a new process completes every run and each HTTP effect happened exactly once', async () => {
    const started = Date.now()
    const { flow, path } = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'immediately' }),
        node('a', 'core.http', {
          method: 'POST',
          url: `${receiver.url}/a`,
          body: { $expr: '{"run": $run.id, "node": "a", "n": body.n}' },
          // A dead process's call in flight is taken over once its timeout has passed (it may still be running).
          timeoutMs: 3000,
        }),
        node('mid', 'core.set', { fields: { stage: 'between' } }, 200),
        node(
          'b',
          'core.http',
          {
            method: 'POST',
            url: `${receiver.url}/b`,
            body: { $expr: '{"run": $run.id, "node": "b", "n": body.effect}' },
            timeoutMs: 3000,
          },
          400,
        ),
      ],
      edges: [edge('hook', 'a'), edge('a', 'mid'), edge('mid', 'b')],
    })
    const { runIds, atKill, recoveredMs, steps } = await crashAndRecover(flow.id, path, receiver.inflight)

    // Each logical call (run × node) had its effect exactly once, under the one key the engine gives that step.
    for (const runId of runIds)
      for (const nodeId of ['a', 'b']) {
        expect(receiver.effects.get(`${runId}:${nodeId}`), `${runId}:${nodeId}`).toBe(1)
        const keys = new Set(receiver.calls.filter((c) => c.run === runId && c.node === nodeId).map((c) => c.key))
        expect([...keys]).toEqual([`flow:${runId}:${nodeId}:0`])
      }
    expect(receiver.effects.size).toBe(RUNS * 2)
    const distinct = receiver.keys().size
    expect(distinct).toBe(RUNS * 2)
    const repeated = receiver.calls.length - distinct
    // The calls in flight at the kill never got their answer: each was sent again after the restart, same key.
    expect(repeated).toBeGreaterThanOrEqual(atKill.inflight)
    const retried = steps.filter((s) => s.attempts > 1)
    expect(retried.length).toBeGreaterThanOrEqual(atKill.inflight)
    expect(retried.every((s) => s.nodeId === 'a' || s.nodeId === 'b')).toBe(true)

    console.log(
      `[flows-crash http] killed with ${atKill.completed}/${RUNS} runs completed and ${atKill.inflight} calls in flight; ` +
        `all ${RUNS} completed ${recoveredMs} ms after the kill; ${receiver.calls.length} calls for ${distinct} keys ` +
        `(${repeated} repeated), ${retried.length} steps on attempt 2+; test ${Date.now() - started} ms`,
    )
  }, 300_000)

  it('after a SIGKILL during AI steps, every run completes and each AI step is debited exactly once', async () => {
    const started = Date.now()
    const { flow, path } = await publish({
      nodes: [
        node('hook', 'core.webhook', { respond: 'immediately' }),
        node('ai', 'core.ai', { prompt: { $expr: '"Qualify: " & body.text' }, maxOutputTokens: 64, timeoutMs: 5000 }),
        node('mid', 'core.set', { fields: { stage: 'between' } }, 200),
        node(
          'b',
          'core.http',
          {
            method: 'POST',
            url: `${receiver.url}/b`,
            body: { $expr: '{"run": $run.id, "node": "b", "s": text}' },
            timeoutMs: 3000,
          },
          400,
        ),
      ],
      edges: [edge('hook', 'ai'), edge('ai', 'mid'), edge('mid', 'b')],
    })
    const asked = model.completions().length
    const before = answered
    const { runIds, atKill, recoveredMs, steps } = await crashAndRecover(
      flow.id,
      path,
      () => model.completions().length - asked - (answered - before),
    )
    const requestIds = runIds.map((r) => `flow:${r}:ai:0`)

    // A process killed between the usage record and the settle leaves its hold to the sweeper (by expiry): run it.
    const db = ctx.container.db
    const open = () =>
      db
        .selectFrom('creditHolds')
        .select(['requestId', 'expiresAt'])
        .where('workspaceId', '=', w.workspaceId)
        .where('status', '=', 'pending')
        .execute()
    let swept = 0
    for (const h of await open()) {
      await sleep(Math.max(0, h.expiresAt.getTime() - Date.now() + 100))
      swept += await ctx.container.credits.metering.sweepExpired(ctx.container.models.priceableModel)
    }
    expect(await open()).toEqual([])

    const holds = await db
      .selectFrom('creditHolds')
      .select(['requestId', 'status'])
      .where('workspaceId', '=', w.workspaceId)
      .where('surface', '=', 'flow')
      .execute()
    expect(holds.map((h) => h.requestId).sort()).toEqual([...requestIds].sort())
    const debits = await db
      .selectFrom('creditEntries')
      .select(['requestId', 'amount'])
      .where('workspaceId', '=', w.workspaceId)
      .where('kind', '=', 'debit')
      .execute()
    // One debit per AI step, under its request id; each step's credits are what was debited for it.
    expect(debits.map((d) => d.requestId).sort()).toEqual([...requestIds].sort())
    const charged = new Map(debits.map((d) => [d.requestId, -BigInt(d.amount)]))
    for (const s of steps.filter((x) => x.nodeId === 'ai')) {
      expect(BigInt(s.credits), s.runId).toBe(charged.get(`flow:${s.runId}:ai:0`))
      expect(BigInt(s.credits)).toBeGreaterThan(0n)
    }
    const recorded = await db
      .selectFrom('modelCalls')
      .select(['requestId', 'status'])
      .where('requestId', 'in', requestIds)
      .execute()
    expect(recorded).toHaveLength(RUNS)
    expect(recorded.every((c) => c.status === 'complete')).toBe(true)

    // The HTTP step after each AI step: once per run.
    for (const runId of runIds) expect(receiver.effects.get(`${runId}:b`), runId).toBe(1)
    expect(receiver.effects.size).toBe(RUNS)

    const modelCalls = model.completions().length - asked
    const retried = steps.filter((s) => s.attempts > 1)
    expect(modelCalls - RUNS).toBeGreaterThanOrEqual(atKill.inflight)
    expect(retried.filter((s) => s.nodeId === 'ai').length).toBeGreaterThanOrEqual(atKill.inflight)
    console.log(
      `[flows-crash ai] killed with ${atKill.completed}/${RUNS} runs completed and ${atKill.inflight} model calls in ` +
        `flight; all ${RUNS} completed ${recoveredMs} ms after the kill; ${modelCalls} model calls for ${RUNS} AI ` +
        `steps (${modelCalls - RUNS} repeated), ${debits.length} debits, ${swept} holds settled by the sweeper, ` +
        `${retried.length} steps on attempt 2+ (${receiver.calls.length - RUNS} repeated HTTP calls); ` +
        `test ${Date.now() - started} ms`,
    )
  }, 300_000)
})
