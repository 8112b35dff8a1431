import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeadMessageDto, InboxMessageDto, ThreadDto } from '../../contracts/inbox.ts'
import { createDispatcher, OUTBOX_DEFAULTS, type OutboxSettings } from '../../src/modules/inbox/dispatcher.ts'
import { createPgPacer } from '../../src/modules/inbox/pacer.ts'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud, webhookOf } from '../fakes/whatsapp-cloud.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type Caller, type TestContext } from '../harness.ts'

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const NUMBER = '106540352242933'
const TOKEN = 'EAAG-token-outbox-0123456789'
const WABA = '200000000000001'
const CONTACTS = ['40711111111', '40722222222', '40733333333']

// The outbox (ADR 0005, "Outbox"): claims shared by dispatchers, a recipient paced alone, dead letters replayed by
// an operator, an answer lost but echoed by the status webhook, templates outside the 24-hour window.
describe('outbox: claims, pacing, dead letters, lost answers', () => {
  let ctx: TestContext
  let fake: FakeWhatsAppCloud
  let w: Awaited<ReturnType<typeof onboard>>
  let channelId: string
  const threads = new Map<string, ThreadDto>()
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  const operator: Caller = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
  const webhook = webhookOf(() => ctx.app)
  const queue = async (to: string, body: Record<string, unknown>) => {
    const res = await call(ctx.app, 'POST', `/api/inbox/threads/${threads.get(to)!.id}/messages`, owner(), body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as InboxMessageDto
  }
  const row = (id: string) =>
    ctx.container.db.selectFrom('inboxMessages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  /** A dispatcher of its own (as another process runs one), on this test's database, clock and settings. */
  const dispatcher = (opts: { now?: () => number; settings?: Partial<OutboxSettings> } = {}) =>
    createDispatcher({
      db: ctx.container.db,
      sender: ctx.container.channels.sender,
      limits: ctx.container.channels.limits,
      pacer: createPgPacer(ctx.container.db),
      live: ctx.container.inbox.live,
      settings: { ...OUTBOX_DEFAULTS, ...opts.settings },
      now: opts.now,
      log: () => undefined,
    })
  /**
   * Rounds until nothing is due and nothing is in flight (every send answered). A round that claims nothing because
   * the number's pace is spent (messages still due) waits the pacer's delay and goes on, rather than stopping early.
   */
  const drain = async (...ds: ReturnType<typeof dispatcher>[]) => {
    for (let i = 0; i < 200; i++) {
      const rounds = await Promise.all(ds.map((d) => d.round()))
      await Promise.all(ds.map((d) => d.settled()))
      if (rounds.some((r) => r.claimedAny)) continue
      const stillDue = await ctx.container.db
        .selectFrom('inboxMessages')
        .select('id')
        .where('status', '=', 'queued')
        .where('direction', '=', 'out')
        .where('nextAttemptAt', '<=', new Date())
        .limit(1)
        .executeTakeFirst()
      if (!stillDue) return
      await new Promise((ok) => setTimeout(ok, Math.min(250, Math.max(10, ...rounds.map((r) => r.waitMs)))))
    }
    throw new Error('the dispatchers did not drain')
  }

  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      pairRate: false,
      throughputPerSecond: 100_000,
      numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, wabaId: WABA, displayPhoneNumber: '+40 700 000 001' }],
      templates: { [WABA]: [{ name: 'appointment_reminder', language: 'ro' }] },
    })
    ctx = await createTestContext({
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
      WHATSAPP_GRAPH_API_BASE: fake.url,
      OUTBOX_MAX_ATTEMPTS: '3',
    })
    w = await onboard(ctx.app, 'outbox')
    const ch = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Bookings',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
      businessAccountId: WABA,
    })
    expect(ch.statusCode, ch.body).toBe(201)
    channelId = ch.json().id
    for (const waId of CONTACTS) expect(await webhook(...signed(fake.inboundText(NUMBER, { waId }, 'Bună!')))).toBe(200)
    for (const t of (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[])
      threads.set(t.contact.waId, t)
  })
  afterAll(async () => {
    await ctx?.close()
    await fake?.close()
  })
  const signed = (body: unknown): [string, string] => {
    const raw = JSON.stringify(body)
    return [raw, fake.sign(raw)]
  }

  it('two dispatchers claiming at once send every message exactly once', async () => {
    const queued = []
    for (let i = 0; i < 30; i++) queued.push(await queue(CONTACTS[i % 3]!, { text: `Mesaj ${i}` }))
    await drain(dispatcher(), dispatcher())
    for (const m of queued) {
      expect(fake.sendsOf(m.id)).toBe(1)
      expect((await row(m.id)).status).toBe('sent')
    }
    expect(fake.duplicates()).toEqual([])
  })

  it('keeps one chat in order: its messages are sent one after the other, oldest first', async () => {
    const queued = [] as InboxMessageDto[]
    for (let i = 0; i < 5; i++) queued.push(await queue(CONTACTS[0]!, { text: `În ordine ${i}` }))
    await drain(dispatcher())
    const order = fake.sent.map((m) => m.body.biz_opaque_callback_data).filter((id) => queued.some((q) => q.id === id))
    expect(order).toEqual(queued.map((q) => q.id))
  })

  it('delays only the paced recipient after 131056, and does not count it as an attempt', async () => {
    const first = await queue(CONTACTS[0]!, { text: 'Unu' })
    const second = await queue(CONTACTS[0]!, { text: 'Doi' })
    const other = await queue(CONTACTS[1]!, { text: 'Altcineva' })
    const before = Date.now()
    fake.script({ code: 131056 })
    await expect(ctx.container.inbox.outbox.deliver(first.id)).rejects.toMatchObject({ kind: 'pace_recipient' })
    for (const id of [first.id, second.id]) {
      const r = await row(id)
      expect(r.status).toBe('queued')
      expect(r.nextAttemptAt!.getTime()).toBeGreaterThan(before)
    }
    expect((await row(first.id)).attempts).toBe(0)
    // A round now sends the other recipient's message and leaves the paced one waiting.
    const d = dispatcher()
    await d.round()
    await d.settled()
    expect(fake.sendsOf(other.id)).toBe(1)
    expect(fake.sendsOf(first.id) + fake.sendsOf(second.id)).toBe(0)
    // Once the pair rate's delay has passed, both go, in order.
    await drain(dispatcher({ now: () => Date.now() + 60_000 }))
    expect([fake.sendsOf(first.id), fake.sendsOf(second.id)]).toEqual([1, 1])
  })

  it('sets a message aside as dead after its last attempt; an operator lists and replays it once', async () => {
    const m = await queue(CONTACTS[2]!, { text: 'Se va încerca de trei ori' })
    fake.script({ code: 131000 }, { code: 131000 }, { code: 131000 })
    await expect(ctx.container.inbox.outbox.deliver(m.id)).rejects.toMatchObject({ kind: 'retry_later' })
    await expect(ctx.container.inbox.outbox.deliver(m.id)).rejects.toMatchObject({ kind: 'retry_later' })
    await ctx.container.inbox.outbox.deliver(m.id) // the third and last attempt: dead, nothing to retry
    expect(await row(m.id)).toMatchObject({ status: 'failed', error: { code: 'whatsapp.131000' } })
    expect((await row(m.id)).deadAt).not.toBeNull()

    expect((await call(ctx.app, 'GET', '/api/operator/outbox/dead', owner())).statusCode).toBe(401)
    const dead = (await call(ctx.app, 'GET', '/api/operator/outbox/dead', operator)).json().items as DeadMessageDto[]
    expect(dead.map((d) => d.id)).toContain(m.id)

    expect(
      (await call(ctx.app, 'POST', `/api/operator/outbox/dead/${m.id}/replay`, owner(), { reason: 'x' })).statusCode,
    ).toBe(401)
    const replayed = await call(ctx.app, 'POST', `/api/operator/outbox/dead/${m.id}/replay`, operator, {
      reason: 'Meta was down',
    })
    expect(replayed.statusCode, replayed.body).toBe(200)
    expect(replayed.json()).toMatchObject({ status: 'queued', deadAt: null, attempts: 0 })
    const again = await call(ctx.app, 'POST', `/api/operator/outbox/dead/${m.id}/replay`, operator, {
      reason: 'Meta was down',
    })
    expect(again.json()).toEqual(replayed.json())
    const audits = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', m.id)
      .execute()
    expect(audits.map((a) => a.action)).toEqual(['inbox.message_replayed'])

    await drain(dispatcher())
    expect((await row(m.id)).status).toBe('sent')
    expect(fake.sendsOf(m.id)).toBe(1)
    const notDead = await call(ctx.app, 'POST', `/api/operator/outbox/dead/${m.id}/replay`, operator, {
      reason: 'Meta was down',
    })
    expect(notDead.statusCode).toBe(200) // replayed before, not dead again: answered as it is
    const never = await queue(CONTACTS[2]!, { text: 'Niciodată mort' })
    const refused = await call(ctx.app, 'POST', `/api/operator/outbox/dead/${never.id}/replay`, operator, {
      reason: 'x',
    })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error.code).toBe('inbox.not_dead')
  })

  it('ends a message that needs a template, or is refused for good, as failed without retrying', async () => {
    const late = await queue(CONTACTS[1]!, { text: 'Prea târziu' })
    fake.script({ code: 131047 })
    await ctx.container.inbox.outbox.deliver(late.id)
    expect(await row(late.id)).toMatchObject({ status: 'failed', error: { code: 'whatsapp.131047' }, deadAt: null })
    const spam = await queue(CONTACTS[1]!, { text: 'Spam' })
    fake.script({ code: 131048 })
    await ctx.container.inbox.outbox.deliver(spam.id)
    expect(await row(spam.id)).toMatchObject({ status: 'failed', error: { code: 'whatsapp.131048' }, attempts: 1 })
  })

  it('does not resend when the answer was lost but the status webhook echoes our id within the grace', async () => {
    const m = await queue(CONTACTS[1]!, { text: 'Răspuns pierdut' })
    fake.script({ acceptThenDrop: true })
    await expect(ctx.container.inbox.outbox.deliver(m.id)).rejects.toMatchObject({ code: 'whatsapp.network' })
    expect(fake.sendsOf(m.id)).toBe(1)
    const open = await row(m.id)
    expect(open).toMatchObject({ status: 'queued', providerMessageId: null })
    expect(open.sendStartedAt).not.toBeNull()
    // Meta's status webhook arrives, echoing our id: the message is sent and its provider id known.
    const accepted = fake.sent.find((s) => s.body.biz_opaque_callback_data === m.id)!
    expect(await webhook(...signed(fake.statuses(NUMBER, [{ message: accepted, status: 'sent' }])))).toBe(200)
    await drain(dispatcher({ now: () => Date.now() + 3_600_000 }))
    expect(fake.sendsOf(m.id)).toBe(1)
    expect(await row(m.id)).toMatchObject({ status: 'sent', providerMessageId: accepted.id })
  })

  it('waits the grace after an attempt whose outcome is unknown, then resends when no echo came', async () => {
    const m = await queue(CONTACTS[2]!, { text: 'Nicio veste' })
    fake.script({ network: true }) // dropped before Meta took it: no status will come
    await expect(ctx.container.inbox.outbox.deliver(m.id)).rejects.toMatchObject({ code: 'whatsapp.network' })
    const lease = OUTBOX_DEFAULTS.leaseMs
    const t0 = Date.now()
    // Re-claimed before the grace ended (another process): nothing is sent, the message waits for the echo.
    await drain(dispatcher({ now: () => t0 + 1, settings: { graceMs: lease } }))
    expect(fake.sendsOf(m.id)).toBe(0)
    // The grace passed with no echo: sent once.
    await drain(dispatcher({ now: () => t0 + 10 * lease, settings: { graceMs: lease } }))
    expect(fake.sendsOf(m.id)).toBe(1)
    expect((await row(m.id)).status).toBe('sent')
  })

  it('lists a Cloud number’s templates and sends one outside the 24-hour window; QR numbers have none', async () => {
    const list = await call(ctx.app, 'GET', `/api/channels/${channelId}/templates`, owner())
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json().items).toMatchObject([{ name: 'appointment_reminder', language: 'ro', status: 'APPROVED' }])
    const qr = await call(ctx.app, 'POST', '/api/channels', owner(), { kind: 'qr', name: 'Phone' })
    const refused = await call(ctx.app, 'GET', `/api/channels/${qr.json().id}/templates`, owner())
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error.code).toBe('channels.templates_need_cloud')

    await ctx.container.db
      .updateTable('inboxThreads')
      .set({ lastInboundAt: new Date(Date.now() - 25 * 3_600_000) })
      .where('id', '=', threads.get(CONTACTS[2]!)!.id)
      .execute()
    expect(
      (
        await call(ctx.app, 'POST', `/api/inbox/threads/${threads.get(CONTACTS[2]!)!.id}/messages`, owner(), {
          text: 'x',
        })
      ).statusCode,
    ).toBe(409)
    const both = await call(ctx.app, 'POST', `/api/inbox/threads/${threads.get(CONTACTS[2]!)!.id}/messages`, owner(), {
      text: 'x',
      template: { name: 'appointment_reminder', language: 'ro' },
    })
    expect(both.statusCode).toBe(400)
    const t = await queue(CONTACTS[2]!, {
      template: {
        name: 'appointment_reminder',
        language: 'ro',
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
      },
    })
    expect(t).toMatchObject({ type: 'template', content: { name: 'appointment_reminder' } })
    await drain(dispatcher())
    const accepted = fake.sent.find((s) => s.body.biz_opaque_callback_data === t.id)!
    expect(accepted.body).toMatchObject({ type: 'template', template: { name: 'appointment_reminder' } })
    expect((await row(t.id)).status).toBe('sent')
  })

  it('shows each number with its traffic and rate on the dashboard', async () => {
    const res = await call(ctx.app, 'GET', '/api/channels/dashboard', owner())
    expect(res.statusCode, res.body).toBe(200)
    const item = (res.json().items as { channelId: string }[]).find((i) => i.channelId === channelId)
    expect(item).toMatchObject({
      kind: 'cloud',
      name: 'Bookings',
      queued: expect.any(Number),
      failed24h: 2,
      dead: 0,
      rate: { perSecond: 80 },
    })
    expect((item as unknown as { sent24h: number }).sent24h).toBeGreaterThan(30)
    expect((await call(ctx.app, 'GET', '/api/channels/dashboard', { cookie: w.user.cookie })).statusCode).toBe(400)
  })

  it('pauses a number whose sends keep failing (its circuit breaker), with an audit event and the pause on show', async () => {
    const queued = []
    for (let i = 0; i < 10; i++) queued.push(await queue(CONTACTS[1]!, { text: `Eșuează ${i}` }))
    fake.script(...queued.map(() => ({ code: 131000 })))
    const outbox = ctx.container.inbox.outbox.dispatcher
    await outbox.round()
    await outbox.settled()
    const paused = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'metadata'])
      .where('targetId', '=', channelId)
      .where('action', '=', 'inbox.sends_paused')
      .execute()
    expect(paused).toMatchObject([{ metadata: { lastError: { code: 'whatsapp.131000' } } }])
    const res = await call(ctx.app, 'GET', '/api/channels/dashboard', owner())
    const item = (res.json().items as { channelId: string; rate: { pausedUntil: string | null } }[]).find(
      (i) => i.channelId === channelId,
    )!
    expect(Date.parse(item.rate.pausedUntil!)).toBeGreaterThan(Date.now() + 30_000)
    // Every message stays queued, to go once the pause is over.
    for (const m of queued) expect((await row(m.id)).status).toBe('queued')
  })
})
