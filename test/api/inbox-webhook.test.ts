import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InboxMessageDto, ThreadDto } from '../../contracts/inbox.ts'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud } from '../fakes/whatsapp-cloud.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const VERIFY_TOKEN = 'verify-me-please'
const NUMBER = '106540352242922'

// The Cloud API's webhook into the inbox (ADR 0005): verified on the raw bytes before anything is parsed, stored once
// by message id whatever Meta redelivers, statuses only forward whatever order they arrive in.
describe('WhatsApp Cloud webhook → inbox', () => {
  let ctx: TestContext
  let fake: FakeWhatsAppCloud
  let w: Awaited<ReturnType<typeof onboard>>
  let channelId: string
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  const post = (raw: string, headers: Record<string, string>) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', ...headers },
      payload: raw,
    })
  const deliver = (body: unknown, secret?: string) =>
    fake.deliver(
      async (raw, signature) => (await post(raw, { 'x-hub-signature-256': signature })).statusCode,
      body,
      secret ? { secret } : {},
    )
  const threads = async () => (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[]
  const messages = async (threadId: string) =>
    (await call(ctx.app, 'GET', `/api/inbox/threads/${threadId}/messages`, owner())).json().items as InboxMessageDto[]
  const count = async () =>
    Number(
      (
        await ctx.container.db
          .selectFrom('inboxMessages')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      numbers: [
        { phoneNumberId: NUMBER, accessToken: 'EAAG-token-0123456789-abcdef', displayPhoneNumber: '+40 700 000 000' },
        // Meta's app may serve numbers that are not connected here.
        {
          phoneNumberId: '999999999999',
          accessToken: 'EAAG-other-0123456789-abcdef',
          displayPhoneNumber: '+1 555 0100',
        },
      ],
    })
    ctx = await createTestContext({ WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN })
    w = await onboard(ctx.app, 'inbox')
    const res = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Support',
      phoneNumberId: NUMBER,
      accessToken: 'EAAG-token-0123456789-abcdef',
    })
    expect(res.statusCode, res.body).toBe(201)
    channelId = res.json().id as string
  })
  afterAll(async () => {
    await ctx?.close()
    await fake?.close()
  })

  it("answers Meta's verification with the challenge only for the right token", async () => {
    const verify = (token: string) =>
      ctx.app.inject({
        method: 'GET',
        url: `/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`,
      })
    const ok = await verify(VERIFY_TOKEN)
    expect(ok.statusCode).toBe(200)
    expect(ok.body).toBe('1158201444')
    expect(ok.headers['content-type']).toMatch(/^text\/plain/)
    const wrong = await verify('not-the-token')
    expect(wrong.statusCode).toBe(403)
    expect(wrong.json().error.code).toBe('channels.webhook_verify_failed')
  })

  it('stores a customer message once, however often Meta delivers it, in a thread with its contact', async () => {
    const body = fake.inboundText(NUMBER, { waId: '40712345678', name: 'Ana Pop' }, 'Bună! Aveți loc sâmbătă?', {
      id: 'wamid.HBgLNDA3MTIzNDU2NzgVAgASGBQzQUI',
      at: Date.now() - 60_000,
    })
    expect(await deliver(body)).toBe(200)
    expect(await deliver(body)).toBe(200) // Meta retries: same message id
    const [thread] = await threads()
    expect(thread).toMatchObject({
      channelId,
      contact: { waId: '40712345678', name: 'Ana Pop' },
      unread: 1,
      lastPreview: 'Bună! Aveți loc sâmbătă?',
    })
    expect(thread!.windowOpenUntil).not.toBeNull()
    const list = await messages(thread!.id)
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({
      direction: 'in',
      fromMe: false,
      type: 'text',
      content: { type: 'text', text: 'Bună! Aveți loc sâmbătă?' },
      status: 'received',
    })
    // A second message in the same conversation: same thread, unread 2, newest first.
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40712345678' }, 'Pentru 10 copii.'))).toBe(200)
    const after = await threads()
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({ unread: 2, lastPreview: 'Pentru 10 copii.' })
    expect((await messages(thread!.id)).map((m) => m.content.text)).toEqual([
      'Pentru 10 copii.',
      'Bună! Aveți loc sâmbătă?',
    ])
    const read = await call(ctx.app, 'POST', `/api/inbox/threads/${thread!.id}/read`, owner())
    expect(read.statusCode).toBe(204)
    expect((await threads())[0]!.unread).toBe(0)
  })

  it('refuses a missing, wrong or stale signature and a body that is not a webhook, storing nothing', async () => {
    const before = await count()
    const raw = JSON.stringify(fake.inboundText(NUMBER, { waId: '40799999999' }, 'forged'))
    const missing = await post(raw, {})
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error.code).toBe('channels.webhook_signature_missing')
    const wrong = await deliver(fake.inboundText(NUMBER, { waId: '40799999999' }, 'forged'), 'another-apps-secret-000')
    expect(wrong).toBe(401)
    const tampered = await post(raw.replace('forged', 'FORGED'), { 'x-hub-signature-256': fake.sign(raw) })
    expect(tampered.statusCode).toBe(401)
    expect(tampered.json().error.code).toBe('channels.webhook_signature')
    const notJson = await post('{"object":', { 'x-hub-signature-256': fake.sign('{"object":') })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json().error.code).toBe('channels.webhook_invalid')
    const notWebhook = '{"object":"page","entry":"nope"}'
    const notWebhookRes = await post(notWebhook, { 'x-hub-signature-256': fake.sign(notWebhook) })
    expect(notWebhookRes.statusCode).toBe(400)
    expect(await count()).toBe(before)
  })

  it('acknowledges events for a number that is not here, and stores nothing for them', async () => {
    const before = await count()
    expect(await deliver(fake.inboundText('999999999999', { waId: '40711111111' }, 'wrong number'))).toBe(200)
    expect(await count()).toBe(before)
  })

  it('moves a message status only forward, whatever order the statuses arrive in', async () => {
    const ref = { id: channelId, workspaceId: w.workspaceId, clientId: w.clientId }
    const wamid = 'wamid.OUTBOUND-0001'
    await ctx.container.db.transaction().execute((trx) =>
      ctx.container.inbox.inbox.receive(trx, ref, [
        {
          providerMessageId: wamid,
          party: { waId: '40712345678' },
          fromMe: true,
          at: new Date(),
          content: { type: 'text', text: 'Da, avem loc.' },
        },
      ]),
    )
    const status = async () =>
      (
        await ctx.container.db
          .selectFrom('inboxMessages')
          .select(['status', 'error'])
          .where('providerMessageId', '=', wamid)
          .executeTakeFirstOrThrow()
      ).status
    expect(await status()).toBe('sent')
    // Read arrives before delivered (reordering is normal); a late delivered and a duplicate sent change nothing.
    expect(await deliver(fake.statuses(NUMBER, [{ message: wamid, status: 'read', to: '40712345678' }]))).toBe(200)
    expect(await status()).toBe('read')
    expect(
      await deliver(
        fake.statuses(NUMBER, [
          { message: wamid, status: 'delivered', to: '40712345678' },
          { message: wamid, status: 'sent', to: '40712345678' },
          { message: wamid, status: 'failed', to: '40712345678', code: 131026 },
        ]),
      ),
    ).toBe(200)
    expect(await status()).toBe('read')
  })

  it('tells a live follower of the inbox which thread changed, as messages and statuses arrive', async () => {
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    const aborter = new AbortController()
    const res = await fetch(`${address}/api/inbox/events`, {
      signal: aborter.signal,
      headers: { cookie: w.user.cookie, 'x-client-id': w.clientId },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events: { event: string; data: Record<string, unknown> }[] = []
    const parser = createParser({
      onEvent: (e) => events.push({ event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown> }),
    })
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    const until = async (done: () => boolean) => {
      while (!done()) {
        const { value, done: end } = await reader.read()
        if (end) throw new Error('the stream ended')
        parser.feed(decoder.decode(value, { stream: true }))
      }
    }
    try {
      await until(() => events.some((e) => e.event === 'ready'))
      expect(await deliver(fake.inboundText(NUMBER, { waId: '40755555555', name: 'Ion' }, 'Salut!'))).toBe(200)
      await until(() => events.some((e) => e.event === 'change'))
      const threadId = (await threads()).find((t) => t.contact.waId === '40755555555')!.id
      expect(events.find((e) => e.event === 'change')!.data).toEqual({ threadIds: [threadId] })
    } finally {
      aborter.abort()
    }
    // Another client's follower hears nothing of this client (its own channel).
    const other = await onboard(ctx.app, 'other-live')
    const theirs = await fetch(`${address}/api/inbox/events`, {
      headers: { cookie: other.user.cookie, 'x-client-id': w.clientId },
    })
    expect(theirs.status).toBe(404)
    await theirs.body?.cancel()
  })

  it('never deletes a message, a thread or a contact', async () => {
    for (const table of ['inboxMessages', 'inboxThreads', 'inboxContacts'] as const)
      await expect(ctx.container.db.deleteFrom(table).execute()).rejects.toThrow(/never deleted/)
  })

  it("keeps one client's conversations from another's members", async () => {
    const other = await onboard(ctx.app, 'other-agency')
    const [thread] = await threads()
    const outsider = { cookie: other.user.cookie, headers: { 'x-client-id': other.clientId } }
    expect((await call(ctx.app, 'GET', `/api/inbox/threads/${thread!.id}/messages`, outsider)).statusCode).toBe(404)
    expect((await call(ctx.app, 'POST', `/api/inbox/threads/${thread!.id}/read`, outsider)).statusCode).toBe(404)
    expect((await call(ctx.app, 'GET', '/api/inbox/threads', outsider)).json().items).toEqual([])
  })
})
