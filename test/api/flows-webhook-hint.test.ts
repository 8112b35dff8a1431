import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph, WebhookSecretDto } from '../../contracts/flows.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { edge, node } from '../flow-graph.ts'

const graph = (trigger: ReturnType<typeof node>): FlowGraph => ({
  nodes: [trigger, node('set', 'core.set', { fields: { ok: true } }, 300)],
  edges: [edge(trigger.id, 'set')],
})

/**
 * A flow's DTO tells whether its webhook has a URL (the hint, never the secret): the editor shows it rather than
 * offering to make a URL — which would silently replace the one already handed out.
 */
describe('flows: the webhook hint on a flow', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

  beforeAll(async () => {
    ctx = await createTestContext()
    w = await onboard(ctx.app, 'flows-webhook-hint')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  const create = async (g: FlowGraph, name: string) => {
    const res = await call(ctx.app, 'POST', '/api/flows', owner(), { name, graph: g })
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as FlowDto
  }
  const get = async (id: string) => {
    const res = await call(ctx.app, 'GET', `/api/flows/${id}`, owner())
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as FlowDto
  }
  const rotate = async (id: string) => {
    const res = await call(ctx.app, 'POST', `/api/flows/${id}/webhook/rotate`, owner())
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as WebhookSecretDto
  }

  it('is null until a URL is made, then the hint (and whether calls are signed) on read, list, publish and save', async () => {
    const flow = await create(graph(node('hook', 'core.webhook')), 'Hooked')
    expect(flow.webhook).toBeNull()
    const first = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    expect(first.statusCode, first.body).toBe(200)
    expect((first.json() as FlowDto).webhook).toBeNull()

    const secret = await rotate(flow.id)
    const read = await get(flow.id)
    expect(read.webhook).toEqual({ hint: `${secret.secret.slice(0, 8)}…`, hmac: false })
    expect(JSON.stringify(read)).not.toContain(secret.secret)

    const list = await call(ctx.app, 'GET', '/api/flows', owner())
    expect((list.json().items as FlowDto[]).find((f) => f.id === flow.id)?.webhook).toEqual(read.webhook)

    // Signed calls once the published version asks for an HMAC header.
    const signed = graph(node('hook', 'core.webhook', { hmacHeader: 'x-signature' }))
    const saved = await call(ctx.app, 'PUT', `/api/flows/${flow.id}`, owner(), {
      graph: signed,
      revision: read.draftRevision,
    })
    expect(saved.statusCode, saved.body).toBe(200)
    expect((saved.json() as FlowDto).webhook).toEqual({ hint: read.webhook!.hint, hmac: false })
    const second = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    expect(second.statusCode, second.body).toBe(200)
    expect((second.json() as FlowDto).webhook).toEqual({ hint: read.webhook!.hint, hmac: true })

    // A new URL: a new hint.
    const again = await rotate(flow.id)
    expect((await get(flow.id)).webhook?.hint).toBe(`${again.secret.slice(0, 8)}…`)
  })

  it('stays null for a flow whose published version has no webhook trigger', async () => {
    const flow = await create(graph(node('start', 'core.manual')), 'By hand')
    const published = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    expect(published.statusCode, published.body).toBe(200)
    await rotate(flow.id)
    expect((await get(flow.id)).webhook).toBeNull()
  })
})
