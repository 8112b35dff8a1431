import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph, FlowRunDto, FlowRunTrace } from '../../contracts/flows.ts'
import type { InboxMessageDto, ThreadDto } from '../../contracts/inbox.ts'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud, webhookOf } from '../fakes/whatsapp-cloud.ts'
import { edge, node } from '../flow-graph.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type Caller, type TestContext } from '../harness.ts'

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const NUMBER = '106540352242933'
const TOKEN = 'EAAG-token-0123456789-flows'

// Flows and the WhatsApp inbox: a message a contact writes (through the Cloud webhook fake) starts the published flows
// whose trigger it matches, once per flow and message whatever is redelivered; "Send WhatsApp message" replies through
// the outbox once per step, and fails with the outbox's codes.
describe('flows: WhatsApp trigger and send', () => {
  let ctx: TestContext
  let fake: FakeWhatsAppCloud
  let w: Awaited<ReturnType<typeof onboard>>
  let channelId: string
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  const deliver = (body: unknown) =>
    fake.deliver(
      webhookOf(() => ctx.app),
      body,
    )
  /** Every start and slice this process began is done. */
  const settle = async () => {
    await ctx.container.flows.whatsapp.idle()
    await ctx.container.flows.engine.drain()
  }
  const publish = async (graph: FlowGraph, name: string) => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name, graph })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    const published = await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, owner())
    expect(published.statusCode, published.body).toBe(200)
    return flow
  }
  const triggered = (name: string, config: Record<string, unknown>, then?: ReturnType<typeof node>) =>
    publish(
      {
        nodes: [node('wa', 'whatsapp.message-received', config), ...(then ? [then] : [])],
        edges: then ? [edge('wa', then.id)] : [],
      },
      name,
    )
  const runsOf = async (flowId: string) => {
    const res = await call(ctx.app, 'GET', `/api/flows/${flowId}/runs`, owner())
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items as FlowRunDto[]
  }
  const trace = async (runId: string) => {
    const res = await call(ctx.app, 'GET', `/api/flows/runs/${runId}`, owner())
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as FlowRunTrace
  }
  const outbound = async (threadId: string) =>
    (
      (await call(ctx.app, 'GET', `/api/inbox/threads/${threadId}/messages?limit=100`, owner())).json()
        .items as InboxMessageDto[]
    ).filter((m) => m.direction === 'out')

  let reply: FlowDto
  let never: FlowDto
  let firstOnly: FlowDto
  let orders: FlowDto
  let otherNumber: FlowDto

  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      pairRate: false,
      numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, displayPhoneNumber: '+40 700 000 001' }],
    })
    ctx = await createTestContext({
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
      WHATSAPP_GRAPH_API_BASE: fake.url,
      PLANS_FILE: 'config/plans.json',
    })
    w = await onboard(ctx.app, 'flows-whatsapp')
    const plan = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${w.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'starter', reason: 'flows whatsapp test' },
    )
    expect(plan.statusCode, plan.body).toBe(200)
    const ch = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Sales',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
    })
    expect(ch.statusCode, ch.body).toBe(201)
    channelId = ch.json().id as string

    reply = await triggered(
      'Price question',
      { channelId, match: { kind: 'contains', value: 'PRET' } },
      node('answer', 'whatsapp.send', { text: { $expr: '"Bună, " & $trigger.contact.name & "! Prețul e 100 lei."' } }),
    )
    never = await triggered('Stop word', { match: { kind: 'equals', value: 'stop' } })
    firstOnly = await triggered('Welcome', { newContact: true })
    orders = await triggered('Orders', { match: { kind: 'regex', value: '^comanda\\s+\\d+$' } })
    otherNumber = await triggered('Other number', { channelId: 'ch_not_this_one' })
  })
  afterAll(async () => {
    await ctx?.close()
    await fake?.close()
  })

  let threadId: string

  it('starts one run of each matching flow with the message, contact, thread and number, and none of the others', async () => {
    const body = fake.inboundText(NUMBER, { waId: '40711111111', name: 'Ana' }, 'Care e pretul?')
    expect(await deliver(body)).toBe(200)
    await settle()
    const thread = (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items[0] as ThreadDto
    threadId = thread.id

    const [run] = await runsOf(reply.id)
    expect(await runsOf(reply.id)).toHaveLength(1)
    expect(run).toMatchObject({ trigger: 'whatsapp', status: 'completed' })
    const t = await trace(run!.id)
    expect(t.input).toEqual({
      message: { id: expect.stringMatching(/^im_/), type: 'text', text: 'Care e pretul?', at: expect.any(String) },
      contact: { id: thread.contact.id, waId: '40711111111', name: 'Ana', phone: thread.contact.phone },
      thread: { id: thread.id },
      channel: { id: channelId },
    })
    expect(await runsOf(firstOnly.id)).toHaveLength(1)
    expect(await runsOf(never.id)).toHaveLength(0)
    expect(await runsOf(orders.id)).toHaveLength(0)
    expect(await runsOf(otherNumber.id)).toHaveLength(0)

    // Meta delivers the same webhook again: the message is stored once, so no flow starts again.
    expect(await deliver(body)).toBe(200)
    await settle()
    expect(await runsOf(reply.id)).toHaveLength(1)
    expect(await runsOf(firstOnly.id)).toHaveLength(1)
  })

  it('starts nothing more when the backstop job runs after the start it backs', async () => {
    const [run] = await runsOf(reply.id)
    const t = await trace(run!.id)
    const job = ctx.container.flows.jobs.find((j) => j.name === 'flows.start-whatsapp-runs')!
    const input = t.input as { message: { id: string } }
    const flows = [{ flowId: reply.id, versionId: run!.versionId, publisher: w.user.id }]
    await job.handler({ workspaceId: w.workspaceId, clientId: w.clientId, input, flows } as never)
    await job.handler({ workspaceId: w.workspaceId, clientId: w.clientId, input, flows } as never)
    await settle()
    expect((await runsOf(reply.id)).map((r) => r.id)).toEqual([run!.id])
  })

  it('queues the reply through the outbox once, which sends it to the contact', async () => {
    const [run] = await runsOf(reply.id)
    const step = (await trace(run!.id)).steps.find((s) => s.nodeId === 'answer')!
    expect(step).toMatchObject({ status: 'completed', attempts: 1 })
    const sent = await outbound(threadId)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ status: 'queued', content: { text: 'Bună, Ana! Prețul e 100 lei.' } })
    expect(step.output).toEqual({ messageId: sent[0]!.id, threadId, status: 'queued' })

    const before = fake.sent.length
    await ctx.container.inbox.outbox.deliver(sent[0]!.id)
    expect(fake.sent.length - before).toBe(1)
    expect(fake.sent.at(-1)).toMatchObject({ to: '40711111111', type: 'text' })
    expect((await outbound(threadId))[0]!.status).toBe('sent')
  })

  it('queues nothing more when the step is tried again with its key', async () => {
    const [run] = await runsOf(reply.id)
    const step = (await trace(run!.id)).steps.find((s) => s.nodeId === 'answer')!
    const send = ctx.container.flows.nodes.get('whatsapp.send')!
    const again = await send.execute({
      config: { threadId, text: 'Bună, Ana! Prețul e 100 lei.' },
      scope: { userId: w.user.id, actingUserId: w.user.id, workspaceId: w.workspaceId, clientId: w.clientId },
      idempotencyKey: step.idempotencyKey,
      attempt: 2,
      log: () => {},
    } as never)
    // The message its first attempt queued (sent since), not a second one.
    expect(again).toEqual({ output: { ...(step.output as object), status: 'sent' } })
    expect(await outbound(threadId)).toHaveLength(1)
  })

  it('starts a newContact flow only on the first message of a contact, and matches a pattern', async () => {
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40711111111', name: 'Ana' }, 'Comanda 42'))).toBe(200)
    await settle()
    expect(await runsOf(firstOnly.id)).toHaveLength(1)
    expect(await runsOf(orders.id)).toHaveLength(1)
    expect(await runsOf(reply.id)).toHaveLength(1)

    expect(await deliver(fake.inboundText(NUMBER, { waId: '40722222222', name: 'Bogdan' }, 'comanda x'))).toBe(200)
    await settle()
    expect(await runsOf(firstOnly.id)).toHaveLength(2)
    expect(await runsOf(orders.id)).toHaveLength(1)
  })

  it('fails the send step with inbox.window_closed once the 24-hour window has closed', async () => {
    const manual = await publish(
      {
        nodes: [
          node('start', 'core.manual'),
          node('send', 'whatsapp.send', { threadId: { $expr: 'threadId' }, text: 'Hi' }),
        ],
        edges: [edge('start', 'send')],
      },
      'Late reply',
    )
    await ctx.container.db
      .updateTable('inboxThreads')
      .set({ lastInboundAt: new Date(Date.now() - 25 * 3_600_000) })
      .where('id', '=', threadId)
      .execute()
    const started = await call(ctx.app, 'POST', `/api/flows/${manual.id}/runs`, owner(), { input: { threadId } })
    expect(started.statusCode, started.body).toBe(202)
    await settle()
    const t = await trace(started.json().runId as string)
    expect(t.run).toMatchObject({ status: 'failed', error: { code: 'inbox.window_closed' } })
    expect(t.steps.find((s) => s.nodeId === 'send')).toMatchObject({
      status: 'failed',
      error: { code: 'inbox.window_closed' },
    })
    expect(await outbound(threadId)).toHaveLength(1)

    // Without a conversation (a manual run, no thread in its input): a clear code, nothing queued.
    const none = await call(ctx.app, 'POST', `/api/flows/${manual.id}/runs`, owner(), { input: {} })
    await settle()
    expect((await trace(none.json().runId as string)).run.error).toMatchObject({ code: 'flows.whatsapp_no_thread' })
  })

  it("fails the send step with plan.limit_reached at the plan's inbox messages a month", async () => {
    const manual = await publish(
      {
        nodes: [
          node('start', 'core.manual'),
          node('send', 'whatsapp.send', { threadId: { $expr: 'threadId' }, text: 'Hi again' }),
        ],
        edges: [edge('start', 'send')],
      },
      'Over the plan',
    )
    // The contact writes again (the window reopens); the workspace moves to Free (300 a month), filled up.
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40711111111', name: 'Ana' }, 'Mai sunteți?'))).toBe(200)
    await settle()
    const plan = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${w.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'free', reason: 'flows whatsapp test' },
    )
    expect(plan.statusCode, plan.body).toBe(200)
    const [first] = await outbound(threadId)
    const row = await ctx.container.db
      .selectFrom('inboxMessages')
      .selectAll()
      .where('id', '=', first!.id)
      .executeTakeFirstOrThrow()
    const at = new Date()
    await ctx.container.db
      .insertInto('inboxMessages')
      .values(
        Array.from({ length: 300 }, (_, i) => ({
          id: `im_bulk${String(i).padStart(4, '0')}`,
          workspaceId: row.workspaceId,
          clientId: row.clientId,
          threadId: row.threadId,
          channelId: row.channelId,
          direction: 'out' as const,
          chatId: row.chatId,
          fromMe: false,
          type: 'text' as const,
          content: JSON.stringify({ type: 'text', text: `bulk ${i}` }),
          status: 'sent' as const,
          statusAt: at,
          sentBy: w.user.id,
          at,
        })),
      )
      .execute()
    const count = async () =>
      (
        await ctx.container.db
          .selectFrom('inboxMessages')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('threadId', '=', threadId)
          .where('direction', '=', 'out')
          .executeTakeFirstOrThrow()
      ).n
    const before = await count()
    const started = await call(ctx.app, 'POST', `/api/flows/${manual.id}/runs`, owner(), { input: { threadId } })
    expect(started.statusCode, started.body).toBe(202)
    await settle()
    const t = await trace(started.json().runId as string)
    expect(t.steps.find((s) => s.nodeId === 'send')).toMatchObject({
      status: 'failed',
      error: { code: 'plan.limit_reached' },
    })
    expect(await count()).toBe(before)
    await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${w.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'starter', reason: 'flows whatsapp test' },
    )
  })

  it('refuses a trigger or a send that cannot work when the flow is published, with the issues', async () => {
    const created = await call(ctx.app, 'POST', '/api/flows', owner(), { name: 'Bad', graph: { nodes: [], edges: [] } })
    expect(created.statusCode, created.body).toBe(201)
    const draft = created.json() as FlowDto
    let revision = draft.draftRevision
    const bad = async (graph: FlowGraph) => {
      const saved = await call(ctx.app, 'PUT', `/api/flows/${draft.id}`, owner(), { graph, revision })
      expect(saved.statusCode, saved.body).toBe(200)
      revision = (saved.json() as FlowDto).draftRevision
      const res = await call(ctx.app, 'POST', `/api/flows/${draft.id}/publish`, owner())
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error.code).toBe('flows.invalid_graph')
      return (res.json().error.details.issues as { path: (string | number)[] }[]).map((i) => i.path.join('.'))
    }
    expect(
      await bad({
        nodes: [node('wa', 'whatsapp.message-received', { match: { kind: 'regex', value: '[(' } })],
        edges: [],
      }),
    ).toEqual(['config.match.value'])
    expect(
      await bad({
        nodes: [node('wa', 'whatsapp.message-received', { match: { kind: 'contains', value: 'x'.repeat(201) } })],
        edges: [],
      }),
    ).toEqual(['config.match.value'])
    expect(
      await bad({ nodes: [node('wa', 'whatsapp.message-received', { channelId: 'not a number' })], edges: [] }),
    ).toEqual(['config.channelId'])
    expect(
      await bad({
        nodes: [node('wa', 'whatsapp.message-received'), node('send', 'whatsapp.send', { text: 'x'.repeat(4097) })],
        edges: [edge('wa', 'send')],
      }),
    ).toEqual(['config.text'])
  })
})
