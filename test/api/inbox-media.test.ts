import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InboxMessageDto, ThreadDto } from '../../contracts/inbox.ts'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { startFakeWhatsAppCloud, webhookOf, type FakeWhatsAppCloud } from '../fakes/whatsapp-cloud.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

const APP_SECRET = 'meta-app-secret-media-0123456789'
const NUMBER = '106540352242977'
const TOKEN = 'EAAG-media-token-0123456789-abcdef'
const CAP = 64 * 1024
/** A 1×1 PNG: what a contact's photo looks like to the route. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

// Received media is stored with its message (ADR 0005, "Media"): the message first, then a job fetches the file
// through the Graph API with the number's token, checks Meta's sha256 and stores it once; files over the cap for their
// kind are listed as too large and never fetched; the route serves a file only to the client's members, with headers
// that keep a hostile file from running as a page.
describe('WhatsApp media: fetched after the message, stored with it, served to the client only', () => {
  let ctx: TestContext
  let fake: FakeWhatsAppCloud
  let w: Awaited<ReturnType<typeof onboard>>
  let stranger: Awaited<ReturnType<typeof onboard>>
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  const deliver = (body: unknown) =>
    fake.deliver(
      webhookOf(() => ctx.app),
      body,
    )
  const fetchJob = () => ctx.container.jobs.find((j) => j.name === 'inbox.fetch-media') as JobDefinition
  const downloads = () => fake.requests.filter((r) => r.path.startsWith('/media-download/')).length
  const enqueued = async (messageId: string) =>
    Number(
      (
        await sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'inbox.fetch-media'
          and data->>'messageId' = ${messageId}`.execute(ctx.container.db)
      ).rows[0]!.n,
    )

  /** A contact sends a file; answers the stored message as the thread shows it. */
  let contacts = 0
  const receive = async (
    type: string,
    object: Record<string, unknown>,
    from = `4071100${String(++contacts).padStart(4, '0')}`,
  ) => {
    expect(await deliver(fake.inbound(NUMBER, { waId: from, name: 'Ana' }, { type, [type]: object }))).toBe(200)
    const threads = (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[]
    const thread = threads.find((t) => t.contact.waId === from)!
    const list = (await call(ctx.app, 'GET', `/api/inbox/threads/${thread.id}/messages`, owner())).json()
      .items as InboxMessageDto[]
    return { thread, message: list[0]! }
  }
  const reread = async (m: InboxMessageDto) =>
    (
      (await call(ctx.app, 'GET', `/api/inbox/threads/${m.threadId}/messages`, owner())).json()
        .items as InboxMessageDto[]
    ).find((x) => x.id === m.id)!
  const file = (id: string, headers: Record<string, string> = {}, who = owner()) =>
    ctx.app.inject({
      method: 'GET',
      url: `/api/inbox/messages/${id}/media`,
      headers: { cookie: who.cookie!, ...headers },
    })

  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, displayPhoneNumber: '+40 700 000 077' }],
    })
    ctx = await createTestContext({
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_GRAPH_API_BASE: fake.url,
      WHATSAPP_MEDIA_MAX_BYTES: String(CAP),
    })
    w = await onboard(ctx.app, 'media')
    stranger = await onboard(ctx.app, 'media-stranger')
    const res = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Bookings',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
    })
    expect(res.statusCode, res.body).toBe(201)
  })
  afterAll(async () => {
    await ctx?.close()
    await fake?.close()
  })

  it('stores a photo once after its message, and serves it with safe headers, ETag and ranges', async () => {
    const id = fake.addMedia(NUMBER, PNG, 'image/png')
    const { message } = await receive('image', { id, mime_type: 'image/png', caption: 'The venue' })
    expect(message.media).toEqual({
      state: 'pending',
      mime: 'image/png',
      bytes: null,
      url: `/api/inbox/messages/${message.id}/media`,
    })
    expect(await enqueued(message.id)).toBe(1)
    expect((await file(message.id)).json().error.code).toBe('inbox.media_not_stored')

    await fetchJob().handler({ messageId: message.id })
    await fetchJob().handler({ messageId: message.id }) // a retry of a stored file fetches nothing
    expect(downloads()).toBe(1)
    expect((await reread(message)).media).toMatchObject({ state: 'stored', mime: 'image/png', bytes: PNG.length })

    const res = await file(message.id)
    expect(res.statusCode).toBe(200)
    expect(res.rawPayload.equals(PNG)).toBe(true)
    expect(res.headers).toMatchObject({
      'content-type': 'image/png',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, max-age=31536000, immutable',
      'accept-ranges': 'bytes',
    })
    expect(String(res.headers['content-disposition'])).toMatch(/^inline; filename="image-/)
    const etag = String(res.headers.etag)
    expect((await file(message.id, { 'if-none-match': etag })).statusCode).toBe(304)

    const part = await file(message.id, { range: 'bytes=0-7' })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 0-7/${PNG.length}`)
    expect(part.rawPayload.equals(PNG.subarray(0, 8))).toBe(true)
    const tail = await file(message.id, { range: 'bytes=-4' })
    expect(tail.rawPayload.equals(PNG.subarray(PNG.length - 4))).toBe(true)
    for (const range of [`bytes=${PNG.length}-`, 'bytes=5-2', 'bytes=0-1,4-5', 'items=0-1']) {
      const bad = await file(message.id, { range })
      expect(bad.statusCode, range).toBe(416)
      expect(bad.json().error.code).toBe('inbox.media_range_invalid')
    }
  })

  it('is a 404 to anyone outside the client, and for a message that has no file', async () => {
    const { message } = await receive('image', { id: fake.addMedia(NUMBER, PNG, 'image/png'), mime_type: 'image/png' })
    await fetchJob().handler({ messageId: message.id })
    const res = await file(message.id, {}, { cookie: stranger.user.cookie })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toMatch(/not_found$/)
    const text = await deliver(fake.inboundText(NUMBER, { waId: '40711000009' }, 'just words'))
    expect(text).toBe(200)
    const threads = (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[]
    const t = threads.find((x) => x.contact.waId === '40711000009')!
    const [plain] = (await call(ctx.app, 'GET', `/api/inbox/threads/${t.id}/messages`, owner())).json().items
    expect(plain.media).toBeNull()
    expect((await file(plain.id)).statusCode).toBe(404)
  })

  it('serves other files as downloads under their name, never as a page', async () => {
    const html = Buffer.from('<script>alert(document.cookie)</script>')
    const id = fake.addMedia(NUMBER, html, 'text/html')
    const { message } = await receive('document', { id, mime_type: 'text/html', filename: 'oferta „mai”.html' })
    await fetchJob().handler({ messageId: message.id })
    const res = await file(message.id)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/octet-stream')
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="oferta _mai_.html"; filename*=UTF-8''${encodeURIComponent('oferta „mai”.html')}`,
    )
  })

  it('lists a file declared over the cap as too large and never fetches it', async () => {
    const before = downloads()
    const id = fake.addMedia(NUMBER, PNG, 'video/mp4')
    const { message } = await receive('video', { id, mime_type: 'video/mp4', file_size: CAP + 1 })
    expect(message.media).toMatchObject({ state: 'too_large', bytes: CAP + 1 })
    expect(await enqueued(message.id)).toBe(0)
    expect((await file(message.id)).statusCode).toBe(409)
    expect(downloads()).toBe(before)
  })

  it('stops reading a file larger than declared at the cap, and refuses bytes that are not what Meta hashed', async () => {
    const big = fake.addMedia(NUMBER, Buffer.alloc(CAP + 10, 1), 'application/pdf', { declared: 100 })
    const { message: lied } = await receive('document', { id: big, mime_type: 'application/pdf', file_size: 100 })
    await fetchJob().handler({ messageId: lied.id })
    expect((await reread(lied)).media).toMatchObject({ state: 'too_large' })

    const bad = fake.addMedia(NUMBER, PNG, 'image/png', { corrupt: true })
    const { message: corrupt } = await receive('image', { id: bad, mime_type: 'image/png' })
    await fetchJob().handler({ messageId: corrupt.id })
    expect((await reread(corrupt)).media).toMatchObject({ state: 'failed' })
    const row = await ctx.container.db
      .selectFrom('inboxMedia')
      .select(['error', 'data'])
      .where('messageId', '=', corrupt.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ error: { code: 'whatsapp.media_corrupt' }, data: null })
  })

  it('marks a file Meta no longer has as failed, without retrying', async () => {
    const { message } = await receive('audio', { id: '7999999999999', mime_type: 'audio/ogg; codecs=opus' })
    expect(message.media).toMatchObject({ state: 'pending', mime: 'audio/ogg' })
    await fetchJob().handler({ messageId: message.id })
    expect((await reread(message)).media).toMatchObject({ state: 'failed' })
  })

  it('never deletes a stored file', async () => {
    await expect(sql`delete from inbox_media`.execute(ctx.container.db)).rejects.toThrow()
  })
})
