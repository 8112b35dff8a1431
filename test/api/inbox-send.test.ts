import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InboxMessageDto, ThreadDto } from '../../contracts/inbox.ts'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud, webhookOf } from '../fakes/whatsapp-cloud.ts'
import {
  addMember,
  call,
  createTestContext,
  onboard,
  TEST_INTERNAL_TOKEN,
  type Caller,
  type TestContext,
  type TestUser,
} from '../harness.ts'

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const NUMBER = '106540352242922'
const TOKEN = 'EAAG-token-0123456789-abcdef'

// Replying from the inbox through a Cloud number: the outbox sends through the Graph API (a loopback fake speaking its
// shapes), the status webhooks move the ticks forward, and what cannot be sent is refused or ends failed with its error.
describe('inbox: sending through a Cloud number', () => {
  let ctx: TestContext
  let fake: FakeWhatsAppCloud
  let w: Awaited<ReturnType<typeof onboard>> & { viewer: TestUser }
  let thread: ThreadDto
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  const deliver = (body: unknown) =>
    fake.deliver(
      webhookOf(() => ctx.app),
      body,
    )
  const send = (body: Record<string, unknown>, caller = owner(), threadId = thread.id) =>
    call(ctx.app, 'POST', `/api/inbox/threads/${threadId}/messages`, caller, body)
  const message = async (id: string) =>
    (
      (await call(ctx.app, 'GET', `/api/inbox/threads/${thread.id}/messages?limit=100`, owner())).json()
        .items as InboxMessageDto[]
    ).find((m) => m.id === id)!

  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      pairRate: false,
      numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, displayPhoneNumber: '+40 700 000 000' }],
    })
    ctx = await createTestContext({
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
      WHATSAPP_GRAPH_API_BASE: fake.url,
      PLANS_FILE: 'config/plans.json',
    })
    const o = await onboard(ctx.app, 'inbox-send')
    const plan = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${o.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'starter', reason: 'inbox test' },
    )
    expect(plan.statusCode, plan.body).toBe(200)
    w = { ...o, viewer: await addMember(ctx.app, o.user, o.workspaceId, 'viewer') }
    const ch = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Support',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
    })
    expect(ch.statusCode, ch.body).toBe(201)
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40712345678', name: 'Ana' }, 'Aveți loc sâmbătă?'))).toBe(
      200,
    )
    thread = (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items[0] as ThreadDto
  })
  afterAll(async () => {
    await ctx?.close()
    await fake?.close()
  })

  it('queues a reply, sends it once through the Graph API, and moves its ticks to read', async () => {
    const res = await send({ text: 'Da, avem loc la 15:00.', clientMessageId: 'composer-0001' })
    expect(res.statusCode, res.body).toBe(201)
    const queued = res.json() as InboxMessageDto
    expect(queued).toMatchObject({ direction: 'out', status: 'queued', content: { text: 'Da, avem loc la 15:00.' } })
    // The composer retried after a lost answer: the same message, not a second one.
    const again = await send({ text: 'Da, avem loc la 15:00.', clientMessageId: 'composer-0001' })
    expect(again.statusCode).toBe(200)
    expect(again.json().id).toBe(queued.id)

    const before = fake.sent.length
    await ctx.container.inbox.outbox.deliver(queued.id)
    await ctx.container.inbox.outbox.deliver(queued.id) // a job run twice sends once
    expect(fake.sent.length - before).toBe(1)
    const accepted = fake.sent.at(-1)!
    expect(accepted).toMatchObject({ to: '40712345678', type: 'text' })
    expect(accepted.body).toMatchObject({
      text: { body: 'Da, avem loc la 15:00.' },
      biz_opaque_callback_data: queued.id,
    })
    expect((await message(queued.id)).status).toBe('sent')

    expect(await deliver(fake.statuses(NUMBER, [{ message: accepted, status: 'delivered' }]))).toBe(200)
    expect((await message(queued.id)).status).toBe('delivered')
    expect(await deliver(fake.statuses(NUMBER, [{ message: accepted, status: 'read' }]))).toBe(200)
    expect((await message(queued.id)).status).toBe('read')
    const [t] = (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[]
    expect(t!.lastPreview).toBe('Da, avem loc la 15:00.')
  })

  it('ends a message that WhatsApp refuses for good as failed with its error, and retries a throughput error', async () => {
    const refused = (await send({ text: 'Spam?' })).json() as InboxMessageDto
    fake.script({ code: 131049 })
    await ctx.container.inbox.outbox.deliver(refused.id)
    expect(await message(refused.id)).toMatchObject({ status: 'failed', error: { code: 'whatsapp.131049' } })

    const later = (await send({ text: 'Peak hour' })).json() as InboxMessageDto
    fake.script({ code: 130429 })
    await expect(ctx.container.inbox.outbox.deliver(later.id)).rejects.toMatchObject({ kind: 'retry_later' })
    expect((await message(later.id)).status).toBe('queued')
    await ctx.container.inbox.outbox.deliver(later.id) // the queue's retry
    expect((await message(later.id)).status).toBe('sent')
  })

  it('refuses a free-form reply once the 24-hour window has closed, and viewers, with clear codes', async () => {
    expect(
      (await send({ text: 'x' }, { cookie: w.viewer.cookie, headers: { 'x-client-id': w.clientId } })).statusCode,
    ).toBe(403)
    expect((await send({ text: '' })).statusCode).toBe(400)
    expect((await send({ text: 'x', clientMessageId: 'bad id!' })).statusCode).toBe(400)
    await ctx.container.db
      .updateTable('inboxThreads')
      .set({ lastInboundAt: new Date(Date.now() - 25 * 3_600_000) })
      .where('id', '=', thread.id)
      .execute()
    const closed = await send({ text: 'Still there?' })
    expect(closed.statusCode).toBe(409)
    expect(closed.json().error.code).toBe('inbox.window_closed')
    // The contact writes again: the window reopens.
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40712345678' }, 'Da, sunt aici.'))).toBe(200)
    expect((await send({ text: 'Perfect.' })).statusCode).toBe(201)
  })

  it("stops at the plan's inbox messages a month with 402, and counts only what Camarad sent", async () => {
    // Starter allows 5 000 a month: lower the bar by counting what is there against a plan with 300 (Free).
    await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${w.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'free', reason: 'inbox test' },
    )
    const sent = Number(
      (
        await ctx.container.db
          .selectFrom('inboxMessages')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('sentBy', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    )
    // Fill the month up to the Free plan's 300 with messages sent from Camarad.
    for (let i = sent; i < 300; i++) {
      const r = await send({ text: `bulk ${i}` })
      expect(r.statusCode, r.body).toBe(201)
    }
    const over = await send({ text: 'one too many' })
    expect(over.statusCode).toBe(402)
    expect(over.json().error).toMatchObject({ code: 'plan.limit_reached', details: { limit: 'messagesPerMonth' } })
    // Inbound is always stored.
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40712345678' }, 'Mai sunteți?'))).toBe(200)
  })
})
