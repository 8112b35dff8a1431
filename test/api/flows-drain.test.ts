import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowRunTrace } from '../../contracts/flows.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { edge, node } from '../flow-graph.ts'

/**
 * A run deferred by the workspace cap is started when a slot frees, after a query for the oldest queued run. `drain`
 * must wait for that start too: it once returned while the query was in flight, leaving the deferred run to the
 * reaper (a flaky `reap()` of 1 in flows-runs, made certain here by a cap of one).
 */
describe('flow engine drain', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let slow: Server
  let url: string
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  beforeAll(async () => {
    ctx = await createTestContext({ FLOW_CONCURRENCY_PER_WORKSPACE: '1', EGRESS_ALLOW_PRIVATE: '127.0.0.0/8' })
    w = await onboard(ctx.app, 'flows-drain')
    slow = createServer((_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 100))
    await new Promise<void>((ok) => slow.listen(0, '127.0.0.1', ok))
    url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`
  })
  afterAll(async () => {
    await new Promise<void>((ok) => (slow ? slow.close(() => ok()) : ok()))
    await ctx?.close()
  })

  it('waits for the deferred runs a freed slot starts, leaving nothing to the reaper', async () => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), {
      name: 'Capped',
      graph: {
        nodes: [node('start', 'core.manual'), node('wait', 'core.http', { url }, 200)],
        edges: [edge('start', 'wait')],
      },
    })
    const flow = created.json() as FlowDto
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())).statusCode).toBe(200)
    const ids = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const res = await call(ctx.app, 'POST', `/api/flows/${flow.id}/runs`, owner(), { input: { n } })
        expect(res.statusCode, res.body).toBe(202)
        return res.json().runId as string
      }),
    )
    await ctx.container.flows.engine.drain(20_000)
    expect(await ctx.container.flows.engine.reap()).toBe(0)
    for (const id of ids) {
      const t = (await call(ctx.app, 'GET', `/api/flows/runs/${id}`, owner())).json() as FlowRunTrace
      expect(t.run.status).toBe('completed')
    }
  })
})
