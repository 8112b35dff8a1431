import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud } from '../../../../test/fakes/whatsapp-cloud.ts'
import { createGraphClient } from './graph.ts'
import {
  CloudWebhookInvalid,
  MAX_ARRAY,
  MAX_DEPTH,
  parseWebhook,
  verifyChallenge,
  verifySignature,
  type CloudWebhook,
} from './webhook.ts'

const SECRET = 'app-secret-2026'
const NUMBER = '106540352242922'
const OTHER = '106540352242999'
const PERSON = { waId: '16505551234', name: 'Sheena Nelson' }
let fake: FakeWhatsAppCloud

beforeAll(async () => {
  fake = await startFakeWhatsAppCloud({
    appSecret: SECRET,
    numbers: [
      { phoneNumberId: NUMBER, accessToken: 't1', wabaId: '102290129340398', displayPhoneNumber: '15550783881' },
      { phoneNumberId: OTHER, accessToken: 't2', wabaId: '102290129340399', displayPhoneNumber: '15550783882' },
    ],
  })
})
afterAll(() => fake.close())

/** The one message of a one-number payload. */
const only = (parsed: CloudWebhook) => {
  expect(parsed.numbers).toHaveLength(1)
  expect(parsed.numbers[0]!.messages).toHaveLength(1)
  return parsed.numbers[0]!.messages[0]!
}
const contentOf = (message: Record<string, unknown> & { type: string }) =>
  only(parseWebhook(fake.inbound(NUMBER, PERSON, message))).content
/** The `value` of a one-change payload, to spoil or extend. */
const value = (body: ReturnType<FakeWhatsAppCloud['inboundText']>) =>
  body.entry[0]!.changes[0]!.value as Record<string, unknown>
/** The problem a body is refused with (the test fails if it is accepted). */
const refusal = (body: unknown) => {
  try {
    parseWebhook(body)
  } catch (err) {
    expect(err).toBeInstanceOf(CloudWebhookInvalid)
    return (err as CloudWebhookInvalid).problem
  }
  throw new Error('the body was accepted')
}

describe('the subscription challenge', () => {
  const query = (over: Record<string, unknown> = {}) => ({
    'hub.mode': 'subscribe',
    'hub.verify_token': 'our-verify-token',
    'hub.challenge': '1158201444',
    ...over,
  })

  it('answers the challenge when the verify token matches', () => {
    expect(verifyChallenge(query(), 'our-verify-token')).toBe('1158201444')
  })

  it('answers nothing for another token, another mode, or no challenge', () => {
    expect(verifyChallenge(query({ 'hub.verify_token': 'guess' }), 'our-verify-token')).toBeNull()
    expect(verifyChallenge(query({ 'hub.mode': 'unsubscribe' }), 'our-verify-token')).toBeNull()
    expect(verifyChallenge(query({ 'hub.challenge': undefined }), 'our-verify-token')).toBeNull()
    expect(verifyChallenge(query({ 'hub.verify_token': ['our-verify-token'] }), 'our-verify-token')).toBeNull()
  })

  it('answers nothing while no verify token is configured', () => {
    expect(verifyChallenge(query({ 'hub.verify_token': '' }), '')).toBeNull()
  })

  it('does not echo a challenge that is not a plain token', () => {
    expect(verifyChallenge(query({ 'hub.challenge': '<script>alert(1)</script>' }), 'our-verify-token')).toBeNull()
  })
})

describe('signatures', () => {
  const raw = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [] }))

  it('accepts the HMAC-SHA256 of the raw bytes with the app secret', () => {
    expect(verifySignature(raw, fake.sign(raw.toString()), [SECRET])).toBe(true)
  })

  it('refuses a body changed after signing', () => {
    const signature = fake.sign(raw.toString())
    expect(verifySignature(Buffer.from(`${raw.toString()} `), signature, [SECRET])).toBe(false)
  })

  it('refuses a missing, empty or malformed header', () => {
    const hex = fake.sign(raw.toString()).slice('sha256='.length)
    for (const header of [undefined, '', hex, `sha1=${hex}`, `sha256=${hex.slice(2)}`, 'sha256=zz'])
      expect(verifySignature(raw, header, [SECRET])).toBe(false)
  })

  it('accepts either secret while one is rotated, and not a retired one', () => {
    const signedWithOld = fake.sign(raw.toString(), 'old-secret')

    expect(verifySignature(raw, signedWithOld, ['new-secret', 'old-secret'])).toBe(true)
    expect(verifySignature(raw, signedWithOld, ['new-secret'])).toBe(false)
    expect(verifySignature(raw, signedWithOld, [])).toBe(false)
  })

  it('accepts a signed delivery over HTTP and refuses one signed with another secret', async () => {
    const received: CloudWebhook[] = []
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const raw = Buffer.concat(chunks)
      const header = req.headers['x-hub-signature-256']
      if (!verifySignature(raw, typeof header === 'string' ? header : undefined, [SECRET]))
        return res.writeHead(401).end()
      received.push(parseWebhook(JSON.parse(raw.toString('utf8'))))
      return res.writeHead(200).end()
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp`

    const good = await fake.deliver(url, fake.inboundText(NUMBER, PERSON, 'Über café ✓'))
    const forged = await fake.deliver(url, fake.inboundText(NUMBER, PERSON, 'forged'), { secret: 'not-ours' })
    await new Promise<void>((ok) => server.close(() => ok()))

    expect([good, forged]).toEqual([200, 401])
    expect(received.map((r) => only(r).content)).toEqual([{ type: 'text', text: 'Über café ✓' }])
  })

  it('verifies what the fake delivers to a webhook, as the route will', async () => {
    let received: { raw: string; signature: string } | undefined
    const status = await fake.deliver(
      async (payload, signature) => {
        received = { raw: payload, signature }
        return 200
      },
      fake.inboundText(NUMBER, PERSON, 'Hi'),
    )

    expect(status).toBe(200)
    expect(verifySignature(Buffer.from(received!.raw), received!.signature, [SECRET])).toBe(true)
    expect(only(parseWebhook(JSON.parse(received!.raw))).content).toEqual({ type: 'text', text: 'Hi' })
  })
})

describe('messages', () => {
  it("reads a text message with its sender's WhatsApp id, profile name, id and time", () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: NUMBER },
                contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
                messages: [
                  {
                    from: '16505551234',
                    id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                    timestamp: '1749416383',
                    type: 'text',
                    text: { body: 'Does it come in another color?' },
                  },
                ],
              },
              field: 'messages',
            },
          ],
        },
      ],
    }

    expect(parseWebhook(payload)).toEqual({
      numbers: [
        {
          phoneNumberId: NUMBER,
          statuses: [],
          messages: [
            {
              providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
              party: { waId: '16505551234', phone: '16505551234', name: 'Sheena Nelson' },
              fromMe: false,
              at: new Date(1_749_416_383_000),
              content: { type: 'text', text: 'Does it come in another color?' },
              replyTo: null,
            },
          ],
        },
      ],
    })
  })

  it('reads a message from a person known only by their business-scoped user id (a username, no phone)', () => {
    const payload = fake.payload(NUMBER, {
      contacts: [{ profile: { name: 'Bob' }, user_id: 'US.13491208655302741918' }],
      messages: [
        {
          from_user_id: 'US.13491208655302741918',
          id: 'wamid.BSUID',
          timestamp: '1749416383',
          type: 'text',
          text: { body: 'Hi from @bob' },
        },
      ],
    })

    expect(only(parseWebhook(payload)).party).toEqual({ waId: 'US.13491208655302741918', phone: null, name: 'Bob' })
  })

  it('refuses a message that names no sender at all', () => {
    const body = fake.inboundText(NUMBER, PERSON, 'Hi')
    delete (value(body).messages as Record<string, unknown>[])[0]!.from

    expect(refusal(body)).toContain('messages.0.from')
  })

  it('keeps the id of the message a reply quotes', () => {
    const message = only(parseWebhook(fake.inboundText(NUMBER, PERSON, 'Yes please', { replyTo: 'wamid.QUOTED' })))

    expect(message.replyTo).toBe('wamid.QUOTED')
  })

  it('reads a forwarded message (context without an id) as no reply', () => {
    const content = { type: 'text', text: { body: 'fwd' }, context: { forwarded: true } }

    expect(only(parseWebhook(fake.inbound(NUMBER, PERSON, content))).replyTo).toBeNull()
  })

  it.each([
    ['image', { id: 'm1', mime_type: 'image/jpeg', sha256: 'abc', caption: 'Our shop' }],
    ['video', { id: 'm2', mime_type: 'video/mp4', sha256: 'abc' }],
    ['audio', { id: 'm3', mime_type: 'audio/ogg; codecs=opus', sha256: 'abc', voice: true }],
    ['document', { id: 'm4', mime_type: 'application/pdf', sha256: 'abc', filename: 'offer.pdf', caption: 'Offer' }],
    ['sticker', { id: 'm5', mime_type: 'image/webp', sha256: 'abc', animated: false }],
  ] as const)('reads %s as media with its media id and mime type', (type, media) => {
    expect(contentOf({ type, [type]: media })).toEqual({
      type: 'media',
      media: type,
      mime: media.mime_type,
      caption: 'caption' in media ? media.caption : null,
      fileName: 'filename' in media ? media.filename : null,
      bytes: null,
      providerMediaId: media.id,
    })
  })

  it('reads a location with its name and address', () => {
    const location = { latitude: 44.4268, longitude: 26.1025, name: 'Piața Unirii', address: 'București' }

    expect(contentOf({ type: 'location', location })).toEqual({ type: 'location', ...location })
  })

  it('reads a reaction, and a reaction taken back as an empty emoji', () => {
    expect(contentOf({ type: 'reaction', reaction: { message_id: 'wamid.T', emoji: '❤️' } })).toEqual({
      type: 'reaction',
      emoji: '❤️',
      targetProviderId: 'wamid.T',
    })
    expect(contentOf({ type: 'reaction', reaction: { message_id: 'wamid.T' } })).toEqual({
      type: 'reaction',
      emoji: '',
      targetProviderId: 'wamid.T',
    })
  })

  it('reads a tapped template button and interactive replies as the text the person tapped', () => {
    expect(contentOf({ type: 'button', button: { payload: 'CONFIRM', text: 'Confirm' } })).toEqual({
      type: 'text',
      text: 'Confirm',
    })
    const buttonReply = { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } }
    expect(contentOf({ type: 'interactive', interactive: buttonReply })).toEqual({ type: 'text', text: 'Yes' })
    const listReply = { type: 'list_reply', list_reply: { id: 'r2', title: 'Tuesday 10:00', description: 'Dr. Pop' } }
    expect(contentOf({ type: 'interactive', interactive: listReply })).toEqual({ type: 'text', text: 'Tuesday 10:00' })
  })

  it('keeps an interactive reply it cannot show (a Flow form) as unsupported', () => {
    const flow = { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"a":1}' } }

    expect(contentOf({ type: 'interactive', interactive: flow })).toEqual({ type: 'unsupported', kind: 'interactive' })
  })

  it.each([
    ['contacts', { contacts: [{ name: { formatted_name: 'Ana' }, phones: [{ phone: '+40 712 345 678' }] }] }],
    ['order', { order: { catalog_id: '1', product_items: [] } }],
    ['system', { system: { body: 'User changed number', type: 'user_changed_number' } }],
    ['unsupported', { errors: [{ code: 131051, title: 'Message type unknown' }] }],
    ['hologram', { hologram: { frames: 3 } }],
  ] as const)('keeps a %s message as unsupported content of that kind', (type, rest) => {
    expect(contentOf({ type, ...rest })).toEqual({ type: 'unsupported', kind: type })
  })

  it('keeps a known type whose object is odd as unsupported rather than dropping it', () => {
    expect(contentOf({ type: 'image', image: { mime_type: 'image/png' } })).toEqual({
      type: 'unsupported',
      kind: 'image',
    })
    expect(contentOf({ type: 'text' })).toEqual({ type: 'unsupported', kind: 'text' })
  })

  it('replaces what the database cannot store (NUL, a lone surrogate) instead of refusing the batch', () => {
    expect(contentOf({ type: 'text', text: { body: 'a\u0000b\ud800c' } })).toEqual({
      type: 'text',
      text: 'a\uFFFDb\uFFFDc',
    })
  })

  it('reads messages the business sent from the WhatsApp Business app (smb_message_echoes) as fromMe', () => {
    const echo = {
      from: '15550783881',
      to: PERSON.waId,
      id: 'wamid.ECHO',
      timestamp: '1749416400',
      type: 'text',
      text: { body: 'Sent from the phone' },
    }

    const message = only(parseWebhook(fake.payload(NUMBER, { message_echoes: [echo] }, 'smb_message_echoes')))

    expect(message).toMatchObject({
      providerMessageId: 'wamid.ECHO',
      fromMe: true,
      party: { waId: PERSON.waId },
      content: { type: 'text', text: 'Sent from the phone' },
    })
  })

  it('skips changes of other fields (template reviews, account updates)', () => {
    const review = { event: 'APPROVED', message_template_id: 1, message_template_name: 'hello' }
    const payload = {
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'message_template_status_update', value: review }] }],
    }

    expect(parseWebhook(payload)).toEqual({ numbers: [] })
  })
})

describe('statuses', () => {
  it('reads sent, delivered and read with the recipient and our id echoed back', async () => {
    const graph = createGraphClient({ baseUrl: fake.url })
    await graph.send(
      NUMBER,
      't1',
      { to: PERSON.waId, content: { type: 'text', text: 'Hi' } },
      { idempotencyKey: 'om_1' },
    )
    const accepted = fake.sent.at(-1)!

    const parsed = parseWebhook(
      fake.statuses(NUMBER, [
        { message: accepted, status: 'sent', at: 1_749_416_400_000 },
        { message: accepted, status: 'delivered', at: 1_749_416_401_000 },
        { message: accepted, status: 'read', at: 1_749_416_402_000 },
      ]),
    )

    expect(parsed.numbers[0]!.statuses).toEqual(
      ['sent', 'delivered', 'read'].map((status, i) => ({
        providerMessageId: accepted.id,
        status,
        at: new Date(1_749_416_400_000 + i * 1000),
        recipient: PERSON.waId,
        ourId: 'om_1',
        error: null,
      })),
    )
  })

  it('reads a failed status with its Graph error as code whatsapp.<code> and its words', () => {
    const parsed = parseWebhook(
      fake.statuses(NUMBER, [{ message: 'wamid.F', status: 'failed', to: PERSON.waId, code: 131047 }]),
    )

    expect(parsed.numbers[0]!.statuses[0]).toMatchObject({
      providerMessageId: 'wamid.F',
      status: 'failed',
      error: {
        code: 'whatsapp.131047',
        message:
          'Re-engagement message — Message failed to send because more than 24 hours have passed since the customer ' +
          'last replied to this number.',
      },
    })
  })

  it('names the recipient by business-scoped user id when Meta gives no phone', () => {
    const status = { id: 'wamid.U', status: 'delivered', timestamp: '1749416383', recipient_user_id: 'US.1349' }

    expect(parseWebhook(fake.payload(NUMBER, { statuses: [status] })).numbers[0]!.statuses[0]!.recipient).toBe(
      'US.1349',
    )
  })

  it('passes over statuses that say nothing about delivery', () => {
    const parsed = parseWebhook(fake.statuses(NUMBER, [{ message: 'wamid.D', status: 'deleted', to: PERSON.waId }]))

    expect(parsed.numbers[0]!.statuses).toEqual([])
  })
})

describe('several numbers', () => {
  it('groups messages and statuses by number across entries, in the order Meta listed them', () => {
    const first = fake.inboundText(NUMBER, PERSON, 'one')
    const second = fake.inboundText(OTHER, PERSON, 'two')
    const third = fake.statuses(NUMBER, [{ message: 'wamid.S', status: 'delivered', to: PERSON.waId }])
    const fourth = fake.inboundText(NUMBER, PERSON, 'three')
    const payload = { ...first, entry: [first, second, third, fourth].flatMap((p) => p.entry) }

    const parsed = parseWebhook(payload)

    expect(parsed.numbers.map((n) => n.phoneNumberId)).toEqual([NUMBER, OTHER])
    expect(parsed.numbers[0]!.messages.map((m) => m.content)).toEqual([
      { type: 'text', text: 'one' },
      { type: 'text', text: 'three' },
    ])
    expect(parsed.numbers[0]!.statuses.map((s) => s.providerMessageId)).toEqual(['wamid.S'])
    expect(parsed.numbers[1]!.messages.map((m) => m.content)).toEqual([{ type: 'text', text: 'two' }])
  })
})

describe('malformed bodies', () => {
  const valid = () => fake.inboundText(NUMBER, PERSON, 'Hi')

  it.each([
    ['not an object', 'hello', 'body'],
    ['null', null, 'body'],
    ['another object type', { object: 'page', entry: [] }, 'object'],
    ['no entry list', { object: 'whatsapp_business_account' }, 'entry'],
  ])('refuses %s', (_name, body, where) => {
    expect(refusal(body)).toContain(where)
  })

  it('refuses a messages change without its number', () => {
    const body = valid()
    delete value(body).metadata

    expect(refusal(body)).toContain('entry.0.changes.0.value.metadata')
  })

  it('refuses a message without an id, or with a timestamp that is no time', () => {
    const noId = valid()
    delete (value(noId).messages as Record<string, unknown>[])[0]!.id
    const badTime = valid()
    ;(value(badTime).messages as Record<string, unknown>[])[0]!.timestamp = 'yesterday'

    expect(refusal(noId)).toContain('messages.0.id')
    expect(refusal(badTime)).toContain('messages.0.timestamp')
  })

  it('tolerates fields it does not know', () => {
    const body = { ...valid(), surprise: { nested: [1, 2, 3] } }
    Object.assign(value(body), { errors: [], brand_new_field: 'x' })

    expect(only(parseWebhook(body)).content).toEqual({ type: 'text', text: 'Hi' })
  })
})

describe('hostile bodies', () => {
  const nested = (levels: number) => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < levels; i++) deep = { a: deep }
    return deep
  }

  it('refuses 10 000 nested levels, even under a field it does not know', () => {
    const body = fake.inboundText(NUMBER, PERSON, 'Hi')
    Object.assign(value(body), { extra: nested(10_000) })

    expect(refusal(body)).toContain(`deeper than ${MAX_DEPTH} levels`)
  })

  it('refuses 10 000 nested levels parsed from raw JSON, as the route parses them', () => {
    const raw = `${'['.repeat(10_000)}${']'.repeat(10_000)}`

    expect(refusal(JSON.parse(raw))).toContain(`deeper than ${MAX_DEPTH} levels`)
  })

  it('refuses a huge array without looking at its items', () => {
    let read = 0
    const messages = new Proxy(new Array(5_000_000).fill(null), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) read++
        return Reflect.get(target, key, receiver) as unknown
      },
    })
    const body = fake.inboundText(NUMBER, PERSON, 'Hi')
    Object.assign(value(body), { messages })

    expect(refusal(body)).toContain(`more than ${MAX_ARRAY} items`)
    expect(read).toBe(0)
  })

  it('refuses more messages than a batch holds before reading them', () => {
    const body = fake.inboundText(NUMBER, PERSON, 'Hi')
    const message = (value(body).messages as unknown[])[0]
    Object.assign(value(body), { messages: new Array(1_001).fill(message) })

    expect(refusal(body)).toContain('messages')
  })

  it('refuses a body of millions of small values', () => {
    const wide = Array.from({ length: 110 }, () => new Array(MAX_ARRAY).fill(0))

    expect(refusal({ object: 'whatsapp_business_account', entry: [], padding: wide })).toContain('values')
  })
})
