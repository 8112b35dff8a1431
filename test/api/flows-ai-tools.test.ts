import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowRunTrace } from '../../contracts/flows.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/** An AI step whose model calls an HTTP action as a tool: the call is a step of its own, with its own key. */
describe('AI step tools', () => {
  let ctx: TestContext
  let fake: FakeOpenAI
  let w: Awaited<ReturnType<typeof onboard>>
  const received: { key: string | undefined; body: string }[] = []
  const crm = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push({ key: req.headers['idempotency-key'] as string | undefined, body })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"saved":true}')
    })
  })
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  beforeAll(async () => {
    fake = await startFakeOpenAI({
      toolCalls: [{ id: 'call_1', name: 'push_crm', arguments: '{"email":"ana@example.com","score":8}' }],
      text: 'Qualified and saved.',
    })
    await new Promise<void>((ok) => crm.listen(0, '127.0.0.1', ok))
    ctx = await createTestContext({
      OPENAI_API_KEY: 'sk-flows',
      OPENAI_BASE_URL: fake.url,
      EGRESS_ALLOW_PRIVATE: '127.0.0.0/8',
      FLOW_RUN_RETENTION_DAYS: '30',
    })
    w = await onboard(ctx.app, 'flows-tools')
  })
  afterAll(async () => {
    await ctx?.close()
    await fake?.close()
    await new Promise<void>((ok) => crm.close(() => ok()))
  })

  it('runs the tool call as its own step, keyed under the AI step, and meters every model round', async () => {
    const graph = {
      nodes: [
        { id: 'start', type: 'core.manual', name: 'Start', position: { x: 0, y: 0 }, config: {} },
        {
          id: 'qualify',
          type: 'core.ai',
          name: 'Qualify',
          position: { x: 200, y: 0 },
          config: {
            prompt: { $expr: '"Qualify and save: " & message' },
            tools: [
              {
                name: 'push_crm',
                description: 'Save the lead in the CRM with its score',
                type: 'core.http',
                config: {
                  method: 'POST',
                  url: `http://127.0.0.1:${(crm.address() as AddressInfo).port}/leads`,
                  body: { $expr: '$' },
                },
              },
            ],
          },
        },
      ],
      edges: [{ from: 'start', fromPort: 'out', to: 'qualify', toPort: 'in' }],
    }
    const flow = (await call(ctx.app, 'POST', '/api/flows', owner(), { name: 'Tools', graph })).json() as FlowDto
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())).statusCode).toBe(200)
    const started = await call(ctx.app, 'POST', `/api/flows/${flow.id}/runs`, owner(), {
      input: { message: 'Ana wants a party' },
    })
    await ctx.container.flows.engine.drain()
    const t = (await call(ctx.app, 'GET', `/api/flows/runs/${started.json().runId}`, owner())).json() as FlowRunTrace
    expect(t.run.status, JSON.stringify(t.run.error)).toBe('completed')
    const runId = t.run.id
    const toolStep = t.steps.find((s) => s.nodeId === 'qualify/tool:1')
    expect(toolStep).toMatchObject({ status: 'completed', idempotencyKey: `flow:${runId}:qualify:0:tool:1` })
    expect(received).toEqual([
      { key: `flow:${runId}:qualify:0:tool:1`, body: JSON.stringify({ email: 'ana@example.com', score: 8 }) },
    ])
    const ai = t.steps.find((s) => s.nodeId === 'qualify')!
    expect(ai.output).toEqual({ text: 'Qualified and saved.' })
    expect(Number(ai.credits)).toBeGreaterThan(0)
    expect(t.run.credits).toBe(ai.credits)
    // The model's second round read the tool's answer.
    const second = fake.completions().at(-1)!.body as { messages: { role: string; content: unknown }[] }
    expect(JSON.stringify(second.messages.filter((m) => m.role === 'tool'))).toContain('saved')
  })

  it('deletes runs past the operator retention with their steps and logs, and nothing younger', async () => {
    const graph = {
      nodes: [
        { id: 'start', type: 'core.manual', name: 'Start', position: { x: 0, y: 0 }, config: {} },
        {
          id: 'big',
          type: 'core.set',
          name: 'Big',
          position: { x: 200, y: 0 },
          config: { fields: { blob: { $expr: 'text' } } },
        },
      ],
      edges: [{ from: 'start', fromPort: 'out', to: 'big', toPort: 'in' }],
    }
    const flow = (await call(ctx.app, 'POST', '/api/flows', owner(), { name: 'Old', graph })).json() as FlowDto
    await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    const runId = (
      await call(ctx.app, 'POST', `/api/flows/${flow.id}/runs`, owner(), { input: { text: 'y'.repeat(70_000) } })
    ).json().runId as string
    await ctx.container.flows.engine.drain()
    const { retention } = ctx.container.flows
    expect(await retention.prune(new Date(Date.now() + 29 * 86_400_000))).toBe(0)
    expect((await call(ctx.app, 'GET', `/api/flows/runs/${runId}`, owner())).statusCode).toBe(200)
    expect(await retention.prune(new Date(Date.now() + 31 * 86_400_000))).toBeGreaterThanOrEqual(1)
    expect((await call(ctx.app, 'GET', `/api/flows/runs/${runId}`, owner())).statusCode).toBe(404)
    const db = ctx.container.db
    expect(await db.selectFrom('flowSteps').select('nodeKey').where('runId', '=', runId).execute()).toEqual([])
    expect(await db.selectFrom('runEvents').select('seq').where('runId', '=', runId).execute()).toEqual([])
    expect(await db.selectFrom('runs').select('id').where('id', '=', runId).execute()).toEqual([])
    expect(await db.selectFrom('flowPayloads').select('id').where('workspaceId', '=', w.workspaceId).execute()).toEqual(
      [],
    )
  })
})
