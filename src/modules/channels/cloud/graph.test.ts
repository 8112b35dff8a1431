import { afterEach, describe, expect, it } from 'vitest'
import {
  startFakeWhatsAppCloud,
  type FakeWhatsAppCloud,
  type FakeWhatsAppCloudOptions,
} from '../../../../test/fakes/whatsapp-cloud.ts'
import { SendFailure, type Outgoing } from '../driver.ts'
import { createGraphClient, FAILURE_MESSAGE_CHARS, PAIR_RATE_MS } from './graph.ts'

const NUMBER = { phoneNumberId: '106540352242922', accessToken: 'EAAG-good-token', wabaId: '102290129340398' }
const CUSTOMER = '16505551234'
let fake: FakeWhatsAppCloud | undefined
let clock = 1_750_000_000_000

afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const start = async (over: Partial<FakeWhatsAppCloudOptions> = {}) => {
  fake = await startFakeWhatsAppCloud({
    appSecret: 'app-secret',
    numbers: [{ ...NUMBER, displayPhoneNumber: '15550783881', verifiedName: 'Acme Dental' }],
    now: () => clock,
    ...over,
  })
  return { fake, graph: createGraphClient({ baseUrl: fake.url, timeoutMs: 2_000 }) }
}
const text = (to: string, body = 'Hello'): Outgoing => ({ to, content: { type: 'text', text: body } })
/** The SendFailure a call ends with (the test fails if it succeeds or throws anything else). */
const failureOf = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(SendFailure)
  return error as SendFailure
}

describe('sending', () => {
  it('sends a text message with the Cloud API body and answers its wamid', async () => {
    const { fake, graph } = await start()

    const sent = await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, {
      to: CUSTOMER,
      content: { type: 'text', text: 'Your appointment is at 10:00', previewUrl: true },
    })

    expect(fake.sent).toHaveLength(1)
    expect(fake.sent[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: CUSTOMER,
      type: 'text',
      text: { body: 'Your appointment is at 10:00', preview_url: true },
    })
    expect(sent).toEqual({ providerMessageId: fake.sent[0]!.id, waId: CUSTOMER })
    expect(sent.providerMessageId).toMatch(/^wamid\./)
  })

  it('sends a template with its language code and components', async () => {
    const { fake, graph } = await start({ templates: { [NUMBER.wabaId]: [{ name: 'reminder', language: 'ro' }] } })
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }]

    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, {
      to: CUSTOMER,
      content: { type: 'template', name: 'reminder', language: 'ro', components },
    })

    expect(fake.sent[0]!.body).toMatchObject({
      type: 'template',
      template: { name: 'reminder', language: { code: 'ro' }, components },
    })
  })

  it('quotes the message a reply answers through context.message_id', async () => {
    const { fake, graph } = await start()

    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, { ...text(CUSTOMER, 'Yes'), replyTo: 'wamid.QUOTED' })

    expect(fake.sent[0]!.body.context).toEqual({ message_id: 'wamid.QUOTED' })
  })

  it('sends a reaction naming the message it reacts to', async () => {
    const { fake, graph } = await start()

    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, {
      to: CUSTOMER,
      content: { type: 'reaction', emoji: '👍', targetProviderId: 'wamid.TARGET' },
    })

    expect(fake.sent[0]!.body).toMatchObject({
      type: 'reaction',
      reaction: { message_id: 'wamid.TARGET', emoji: '👍' },
    })
  })

  it('carries the idempotency key as biz_opaque_callback_data, which status webhooks echo', async () => {
    const { fake, graph } = await start()

    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER), { idempotencyKey: 'om_123' })

    expect(fake.sent[0]!.body.biz_opaque_callback_data).toBe('om_123')
  })

  it('refuses an id that is not digits without sending anything', async () => {
    const { fake, graph } = await start()

    const failure = await failureOf(graph.send('../me/accounts', NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'permanent', code: 'whatsapp.invalid_id' })
    expect(fake.requests).toHaveLength(0)
  })
})

describe('send failures', () => {
  it('answers a refused token (401, OAuthException 190) as permanent whatsapp.190', async () => {
    const { graph } = await start()

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, 'EAAG-wrong', text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'permanent', code: 'whatsapp.190' })
    expect(failure.message).toContain('Invalid OAuth access token')
  })

  it.each([
    [130429, 'retry_later'],
    [131000, 'retry_later'],
    [131016, 'retry_later'],
    [2, 'retry_later'],
    [4, 'retry_later'],
    [131056, 'pace_recipient'],
    [131047, 'needs_template'],
    [131048, 'permanent'],
    [131049, 'permanent'],
    [131026, 'permanent'],
    [100, 'permanent'],
    [190, 'permanent'],
    [132001, 'permanent'],
  ] as const)('maps Graph error %i to %s, keeping its code and words', async (code, kind) => {
    const { fake, graph } = await start()
    fake.script({ code, details: `details of ${code}` })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind, code: `whatsapp.${code}` })
    expect(failure.message).toContain(`details of ${code}`)
  })

  it('paces the recipient for about 6 s after 131056 when Meta gives no Retry-After', async () => {
    const { fake, graph } = await start()
    fake.script({ code: 131056 })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure.retryAfterMs).toBe(PAIR_RATE_MS)
  })

  it('honours Retry-After', async () => {
    const { fake, graph } = await start()
    fake.script({ code: 130429, retryAfter: '7' })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'retry_later', retryAfterMs: 7_000 })
  })

  it('retries later when Graph marks an unknown error transient', async () => {
    const { fake, graph } = await start()
    fake.script({ code: 133999, transient: true })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'retry_later', code: 'whatsapp.133999' })
  })

  it('retries later on a 5xx that carries no Graph error, naming the status', async () => {
    const { fake, graph } = await start()
    fake.script({ status: 502, raw: '<html><body>Bad Gateway</body></html>' })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'retry_later', code: 'whatsapp.http_502' })
  })

  it('retries later when the connection drops', async () => {
    const { fake, graph } = await start()
    fake.script({ network: true })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'retry_later', code: 'whatsapp.network' })
  })

  it('retries later when Graph does not answer within the timeout', async () => {
    const { fake } = await start()
    const graph = createGraphClient({ baseUrl: fake.url, timeoutMs: 300 })
    fake.script({ hang: true })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'retry_later', code: 'whatsapp.timeout' })
  })

  it('stops reading an error body that never ends and fails on its status', async () => {
    const { fake } = await start()
    // No timeout to fall back on: reading the whole body would never return, and the test would time out.
    const graph = createGraphClient({ baseUrl: fake.url, timeoutMs: 600_000 })
    fake.script({ status: 400, endless: true })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure).toMatchObject({ kind: 'permanent', code: 'whatsapp.http_400' })
  })

  it('clips a long error message', async () => {
    const { fake, graph } = await start()
    fake.script({ code: 131000, details: 'y'.repeat(10_000) })

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))

    expect(failure.code).toBe('whatsapp.131000')
    expect(failure.message.length).toBeLessThanOrEqual(FAILURE_MESSAGE_CHARS)
  })
})

describe("Meta's limits, as the fake enforces them", () => {
  it('answers 130429 (retry later) past 80 messages a second from a number, and accepts a second later', async () => {
    const { fake, graph } = await start()
    for (let i = 0; i < 80; i++)
      await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(String(40_700_000_000 + i)))

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text('40799999999')))
    clock += 1_000
    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text('40799999999'))

    expect(failure).toMatchObject({ kind: 'retry_later', code: 'whatsapp.130429' })
    expect(fake.sent).toHaveLength(81)
  })

  it('answers 131056 (pace the recipient) for a second message to the same person within 6 s', async () => {
    const { fake, graph } = await start()
    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER, 'one'))

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER, 'two')))
    clock += 6_000
    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER, 'two'))

    expect(failure.kind).toBe('pace_recipient')
    expect(fake.sent.map((m) => (m.body.text as { body: string }).body)).toEqual(['one', 'two'])
  })

  it('lets messages to the same person through when the pair rate is turned off', async () => {
    const { fake, graph } = await start({ pairRate: false })

    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER, 'one'))
    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER, 'two'))

    expect(fake.sent).toHaveLength(2)
  })

  it('answers 131047 (needs a template) for free text outside the 24-hour window, and accepts a template', async () => {
    const { fake, graph } = await start()
    fake.closeWindow(CUSTOMER)

    const failure = await failureOf(graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, text(CUSTOMER)))
    await graph.send(NUMBER.phoneNumberId, NUMBER.accessToken, {
      to: CUSTOMER,
      content: { type: 'template', name: 'hello_world', language: 'en_US' },
    })

    expect(failure).toMatchObject({ kind: 'needs_template', code: 'whatsapp.131047' })
    expect(fake.sent.map((m) => m.type)).toEqual(['template'])
  })
})

describe('templates', () => {
  it('lists every template of the account, following paging.next', async () => {
    const names = Array.from({ length: 230 }, (_, i) => `template_${String(i).padStart(3, '0')}`)
    const { fake, graph } = await start({
      templates: { [NUMBER.wabaId]: names.map((name) => ({ name, language: 'en_US' })) },
    })

    const templates = await graph.templates(NUMBER.wabaId, NUMBER.accessToken)

    expect(templates.map((t) => t.name)).toEqual(names)
    expect(templates[0]).toMatchObject({ language: 'en_US', status: 'APPROVED', category: 'UTILITY' })
    expect(templates[0]!.components).toHaveLength(1)
    expect(fake.requests.filter((r) => r.path.endsWith('/message_templates'))).toHaveLength(3)
  })

  it('does not follow a next page on another host (the token would go with it)', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `t${i}`)
    const { graph } = await start({
      templates: { [NUMBER.wabaId]: names.map((name) => ({ name, language: 'en' })) },
      nextPageOrigin: 'http://127.0.0.2:9',
    })

    const failure = await failureOf(graph.templates(NUMBER.wabaId, NUMBER.accessToken))

    expect(failure.code).toBe('whatsapp.invalid_response')
  })

  it('answers a refused token as permanent whatsapp.190', async () => {
    const { graph } = await start()

    const failure = await failureOf(graph.templates(NUMBER.wabaId, 'EAAG-wrong'))

    expect(failure).toMatchObject({ kind: 'permanent', code: 'whatsapp.190' })
  })
})

describe('verifying a number', () => {
  it("reads the number's display number and verified name with its token", async () => {
    const { fake, graph } = await start()

    const number = await graph.verifyNumber(NUMBER.phoneNumberId, NUMBER.accessToken)

    expect(number).toEqual({ displayPhoneNumber: '15550783881', verifiedName: 'Acme Dental' })
    expect(fake.requests[0]!.query.fields).toBe('display_phone_number,verified_name')
  })

  it('answers a token that cannot use the number as permanent whatsapp.190', async () => {
    const { graph } = await start()

    const failure = await failureOf(graph.verifyNumber(NUMBER.phoneNumberId, 'EAAG-wrong'))

    expect(failure).toMatchObject({ kind: 'permanent', code: 'whatsapp.190' })
  })

  it('answers an unknown number id as permanent whatsapp.100', async () => {
    const { graph } = await start()

    const failure = await failureOf(graph.verifyNumber('999999999999999', NUMBER.accessToken))

    expect(failure).toMatchObject({ kind: 'permanent', code: 'whatsapp.100' })
    expect(failure.message).toContain('does not exist')
  })
})
