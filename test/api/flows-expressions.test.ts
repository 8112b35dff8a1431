import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edge, node } from '../flow-graph.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * What an expression sees (ADR 0004): `$json` is the node's input — the previous node's output — as n8n users and
 * the templates write it, beside the bare path (`x`), `$node`, `$trigger` and `$run`.
 */
let ctx: TestContext
let caller: Caller
beforeAll(async () => {
  ctx = await createTestContext()
  const o = await onboard(ctx.app, 'flow-expr')
  caller = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
})
afterAll(async () => {
  await ctx.close()
})

describe('expressions', () => {
  it('see the input as $json and as the bare context', async () => {
    const graph = {
      nodes: [
        node('start', 'core.manual'),
        node(
          'first',
          'core.set',
          { fields: { total: { $expr: '$json.price * $json.qty' }, name: { $expr: 'name' } } },
          200,
        ),
        node('second', 'core.set', { fields: { line: { $expr: "$json.name & ': ' & $string($json.total)" } } }, 400),
      ],
      edges: [edge('start', 'first'), edge('first', 'second')],
    }
    const flow = (await call(ctx.app, 'POST', '/api/flows', caller, { name: 'Expressions', graph })).json()
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, caller)).statusCode).toBe(200)
    const started = await call(ctx.app, 'POST', `/api/flows/${flow.id}/runs`, caller, {
      input: { name: 'Cake', price: 12, qty: 3 },
    })
    expect(started.statusCode, started.body).toBe(202)
    await ctx.container.flows.engine.drain()
    const trace = (await call(ctx.app, 'GET', `/api/flows/runs/${started.json().runId}`, caller)).json()
    expect(trace.run.status).toBe('completed')
    const out = (id: string) => trace.steps.find((s: { nodeId: string }) => s.nodeId === id).output
    expect(out('first')).toMatchObject({ total: 36, name: 'Cake' })
    expect(out('second')).toMatchObject({ line: 'Cake: 36' })
  })
})
