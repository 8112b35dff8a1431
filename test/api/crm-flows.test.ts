import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph, FlowRunDto, FlowRunTrace } from '../../contracts/flows.ts'
import type { PipelineDto } from '../../contracts/crm.ts'
import { edge, node } from '../flow-graph.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * Flows and the CRM (issue 14 §10): a contact created, a deal entering a stage, a booking saved and a lead imported each
 * start the published flows whose trigger (and filter) they match, once per flow and event, in the CRM's transaction;
 * the CRM actions (add note, add task, move deal, create or update contact) write through the CRM.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let pipeline: PipelineDto
const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })

const publish = async (graph: FlowGraph, name: string) => {
  const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name, graph })
  expect(created.statusCode, created.body).toBe(201)
  const flow = created.json() as FlowDto
  const published = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
  expect(published.statusCode, published.body).toBe(200)
  return flow
}
const triggered = (name: string, type: string, config: Record<string, unknown>, then?: ReturnType<typeof node>) =>
  publish({ nodes: [node('t', type, config), ...(then ? [then] : [])], edges: then ? [edge('t', then.id)] : [] }, name)
const runsOf = async (flowId: string) => {
  const res = await call(ctx.app, 'GET', `/api/flows/${flowId}/runs`, owner())
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items as FlowRunDto[]
}
const trace = async (runId: string) =>
  (await call(ctx.app, 'GET', `/api/flows/runs/${runId}`, owner())).json() as FlowRunTrace
/** Runs the CRM started are stored queued: the reaper (as in a worker) takes them, then every slice is let finish. */
const settle = async () => {
  for (let i = 0; i < 50; i++) {
    const open = await ctx.container.db
      .selectFrom('flowRuns')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .execute()
    if (!open.length) return
    await ctx.container.flows.engine.reap()
    await ctx.container.flows.engine.drain()
  }
}
const post = async (url: string, body: unknown, status = 201) => {
  const res = await call(ctx.app, 'POST', url, owner(), body)
  expect(res.statusCode, res.body).toBe(status)
  return res.json()
}

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-flows')
  expect((await call(ctx.app, 'PUT', '/api/crm/settings', owner(), { defaultCountry: 'RO' })).statusCode).toBe(200)
  pipeline = (await call(ctx.app, 'GET', '/api/crm/pipelines', owner())).json().items[0]
})
afterAll(async () => {
  await ctx?.close()
})

describe('flows: CRM triggers and actions', () => {
  it('starts a "Contact created" flow once per new contact, whose note step writes on that contact', async () => {
    const flow = await triggered(
      'Welcome note',
      'crm.contact-created',
      { source: 'api' },
      node('note', 'crm.add-note', { body: 'Say hello' }),
    )
    const contact = await post('/api/crm/contacts', { name: 'Ana', phones: ['0722 000 001'] })
    await settle()
    const runs = await runsOf(flow.id)
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ trigger: 'crm', status: 'completed' })
    expect((await trace(runs[0]!.id)).input).toEqual({
      event: 'crm.contact-created',
      contactId: contact.id,
      source: 'api',
    })
    const notes = (await call(ctx.app, 'GET', `/api/crm/contacts/${contact.id}/notes`, owner())).json().items
    expect(notes.map((n: { body: string }) => n.body)).toEqual(['Say hello'])
  })

  it('adds no second note or task when a step is tried again with its key (a retry after a crash)', async () => {
    const contact = await post('/api/crm/contacts', { name: 'Retried Rita' })
    const scope = { userId: w.user.id, actingUserId: w.user.id, workspaceId: w.workspaceId, clientId: w.clientId }
    const again = (type: string, config: Record<string, unknown>, idempotencyKey: string, attempt: number) =>
      ctx.container.flows.nodes.get(type)!.execute({
        config: { contactId: contact.id, ...config },
        scope,
        idempotencyKey,
        attempt,
        log: () => {},
        evaluate: async () => undefined,
      } as never)
    const key = (n: string) => `flow:run_retry:${n}:0`
    const note1 = await again('crm.add-note', { body: 'Call back' }, key('note'), 1)
    const note2 = await again('crm.add-note', { body: 'Call back' }, key('note'), 2)
    expect(note2).toEqual(note1)
    const task1 = await again('crm.add-task', { title: 'Send offer' }, key('task'), 1)
    const task2 = await again('crm.add-task', { title: 'Send offer' }, key('task'), 2)
    expect(task2).toEqual(task1)
    // Another step (another key) is another note.
    await again('crm.add-note', { body: 'Call back' }, key('note2'), 1)
    const notes = (await call(ctx.app, 'GET', `/api/crm/contacts/${contact.id}/notes`, owner())).json().items
    expect(notes).toHaveLength(2)
    const tasks = (await call(ctx.app, 'GET', `/api/crm/contacts/${contact.id}/tasks`, owner())).json().items
    expect(tasks).toHaveLength(1)
  })

  it('starts a "Deal stage changed" flow only when a deal enters its stage, and its task step adds a task', async () => {
    const qualified = pipeline.stages.find((s) => s.name === 'Qualified')!
    const flow = await triggered(
      'Qualified follow-up',
      'crm.deal-stage-changed',
      { stageId: qualified.id },
      node('task', 'crm.add-task', { title: 'Send the offer', dueDate: '2026-12-31' }),
    )
    const contact = await post('/api/crm/contacts', { name: 'Dan' })
    const deal = await post('/api/crm/deals', { title: 'Wedding', contactId: contact.id })
    await settle()
    expect(await runsOf(flow.id)).toHaveLength(0)
    const moved = await call(ctx.app, 'PATCH', `/api/crm/deals/${deal.id}`, owner(), { stageId: qualified.id })
    expect(moved.statusCode, moved.body).toBe(200)
    await settle()
    const runs = await runsOf(flow.id)
    expect(runs).toHaveLength(1)
    expect((await trace(runs[0]!.id)).input).toMatchObject({ dealId: deal.id, toStageId: qualified.id })
    const tasks = (await call(ctx.app, 'GET', `/api/crm/contacts/${contact.id}/tasks`, owner())).json().items
    expect(tasks).toMatchObject([{ title: 'Send the offer', dueDate: '2026-12-31', done: false }])
  })

  it('starts a "Booking saved" flow for new bookings only when asked', async () => {
    const flow = await triggered('New booking', 'crm.booking-saved', { createdOnly: true })
    const contact = await post('/api/crm/contacts', { name: 'Ioana' })
    const booking = await post('/api/crm/bookings', {
      contactId: contact.id,
      date: '2026-06-14',
      timeZone: 'Europe/Bucharest',
      amount: { minor: 50000, currency: 'RON' },
    })
    const changed = await call(ctx.app, 'PATCH', `/api/crm/bookings/${booking.id}`, owner(), { status: 'confirmed' })
    expect(changed.statusCode, changed.body).toBe(200)
    await settle()
    const runs = await runsOf(flow.id)
    expect(runs).toHaveLength(1)
    expect((await trace(runs[0]!.id)).input).toMatchObject({ bookingId: booking.id, created: true })
  })

  it('starts a "Lead imported" flow per new lead of its source, whose steps move the deal and update the contact', async () => {
    const proposal = pipeline.stages.find((s) => s.name === 'Proposal')!
    const flow = await publish(
      {
        nodes: [
          node('t', 'crm.lead-imported', { source: 'fair' }),
          node('move', 'crm.move-deal', { stageId: proposal.id }),
          node('tag', 'crm.upsert-contact', { name: 'unused', phone: '+40 744 000 001', tags: ['from-fair'] }),
        ],
        edges: [edge('t', 'move'), edge('move', 'tag')],
      },
      'Fair leads',
    )
    const csv = 'Nume,Telefon\nMihai,0744 000 001\nMihai again,0744000001\n'
    const web = await post('/api/crm/imports', { csv: 'Nume,Telefon\nWeb lead,0744 000 002\n', source: 'web' }, 202)
    const fair = await post('/api/crm/imports', { csv, source: 'fair' }, 202)
    const job = ctx.container.jobs.find((j) => j.name === 'crm.run-import')!
    await job.handler({ importId: web.id })
    await job.handler({ importId: fair.id })
    await job.handler({ importId: fair.id })
    await settle()
    const runs = await runsOf(flow.id)
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'completed' })
    const t = await trace(runs[0]!.id)
    expect(t.input).toMatchObject({ event: 'crm.lead-imported', importId: fair.id, source: 'fair', row: 2 })
    const { contactId, dealId } = t.input as { contactId: string; dealId: string }
    expect((await call(ctx.app, 'GET', `/api/crm/deals/${dealId}`, owner())).json().stageId).toBe(proposal.id)
    expect((await call(ctx.app, 'GET', `/api/crm/contacts/${contactId}`, owner())).json().tags).toEqual(['from-fair'])
  })
})
