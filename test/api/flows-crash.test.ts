import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph } from '../../contracts/flows.ts'
import { call, createTestContext, driver, onboard, ORIGIN, type TestContext } from '../harness.ts'
import { startServerProcess, type ServerProcess } from '../server-process.ts'

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

const node = (id: string, type: string, config: Record<string, unknown> = {}, x = 0) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
})
const edge = (from: string, to: string) => ({ from, fromPort: 'out', to, toPort: 'in' })

const RUNS = 50

describe.skipIf(driver !== 'postgres')('flow runs survive a killed process (PostgreSQL)', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let receiver: Awaited<ReturnType<typeof idempotentReceiver>>
  const processes: ServerProcess[] = []
  const owner = () => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  /** A Camarad server process working jobs on the test's database, with a short flow lease and reap interval. */
  const startWorker = async (env: Record<string, string> = {}) => {
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
      ...env,
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

  beforeAll(async () => {
    ctx = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.0/8' })
    w = await onboard(ctx.app, 'flows-crash')
    receiver = await idempotentReceiver()
  }, 120_000)
  afterAll(async () => {
    for (const p of processes) await p.kill()
    await receiver?.close()
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
        }),
        node('mid', 'core.set', { fields: { n: { $expr: 'body.effect' } }, keepInput: false }, 200),
        node(
          'b',
          'core.http',
          { method: 'POST', url: `${receiver.url}/b`, body: { $expr: '{"run": $run.id, "node": "b", "n": n}' } },
          400,
        ),
      ],
      edges: [edge('hook', 'a'), edge('a', 'mid'), edge('mid', 'b')],
    })

    let first = await startWorker()
    const fired = await Promise.all(
      Array.from({ length: RUNS }, (_, n) =>
        fetch(`${first.base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `evt-${n}` },
          body: JSON.stringify({ n }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { runId?: string } })),
      ),
    )
    expect(fired.map((f) => f.status)).toEqual(Array(RUNS).fill(202))
    const runIds = fired.map((f) => f.body.runId!)
    expect(new Set(runIds).size).toBe(RUNS)

    // Killed while some runs have completed, others have not, and calls are waiting for their answer.
    let atKill = { completed: 0, inflight: 0, calls: 0 }
    await until(
      async () => {
        const completed = (await runsOf(flow.id)).filter((r) => r.status === 'completed').length
        // Synchronous from here to the kill: no answer of the receiver (same event loop) can slip in between.
        const inflight = receiver.inflight()
        if (completed < 3 || completed >= RUNS || inflight === 0) return false
        first.child.kill('SIGKILL')
        atKill = { completed, inflight, calls: receiver.calls.length }
        return true
      },
      30_000,
      'a kill point (some runs completed, calls in flight)',
      first,
    )
    await first.kill()
    const killedAt = Date.now()

    first = await startWorker()
    await until(
      async () => {
        const rows = await runsOf(flow.id)
        const failed = rows.find((r) => r.status === 'failed' || r.status === 'cancelled')
        if (failed) throw new Error(`run ${failed.id} ended ${failed.status}: ${JSON.stringify(failed.error)}`)
        return rows.length === RUNS && rows.every((r) => r.status === 'completed')
      },
      90_000,
      'every run completed',
      first,
    )
    const recovered = Date.now() - killedAt

    const rows = await runsOf(flow.id)
    expect(rows.map((r) => [r.status, r.steps])).toEqual(Array(RUNS).fill(['completed', 4]))
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

    const steps = await ctx.container.db
      .selectFrom('flowSteps')
      .select(['runId', 'nodeId', 'status', 'attempts'])
      .where('runId', 'in', runIds)
      .execute()
    expect(steps.filter((s) => s.status !== 'completed')).toEqual([])
    expect(steps).toHaveLength(RUNS * 4)
    const retried = steps.filter((s) => s.attempts > 1)
    expect(retried.length).toBeGreaterThanOrEqual(atKill.inflight)
    expect(retried.every((s) => s.nodeId === 'a' || s.nodeId === 'b')).toBe(true)

    console.log(
      `[flows-crash http] killed with ${atKill.completed}/${RUNS} runs completed, ${atKill.inflight} calls in flight ` +
        `(${atKill.calls} calls so far); after restart all ${RUNS} completed in ${recovered} ms; ` +
        `${receiver.calls.length} calls for ${distinct} keys (${repeated} repeated), ` +
        `${retried.length} steps on attempt 2+; total ${Date.now() - started} ms`,
    )
  }, 180_000)
})
