import { createHash, createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { json } from './http-kit.ts'

export type FakeCloudNumber = {
  phoneNumberId: string
  accessToken: string
  wabaId?: string
  displayPhoneNumber: string
  verifiedName?: string
}
export type FakeTemplate = {
  name: string
  language: string
  status?: string
  category?: string
  components?: unknown[]
}
export type FakeWhatsAppCloudOptions = {
  /** The Meta app's secret: webhooks the fake delivers are signed with it. */
  appSecret: string
  numbers: FakeCloudNumber[]
  /** Messages per second per number before 130429 (Cloud API's default is 80). */
  throughputPerSecond?: number
  /** Meta's pair rate: a second message to the same person within 6 s answers 131056. On unless false. */
  pairRate?: boolean
  /** Templates per WhatsApp Business Account id; a template message naming another one answers 132001. */
  templates?: Record<string, FakeTemplate[]>
  /** The fake's clock in ms (throughput and pair rate): a test moves it instead of waiting. */
  now?: () => number
  /** How long an accepted message's answer is held (a slow Graph: sends are in flight when a test kills a process). */
  answerDelayMs?: number
  /** Where template pages' `next` links point instead of this server (a hostile or broken Graph). */
  nextPageOrigin?: string
}

/** What the next `POST …/messages` answers instead of its normal outcome, in order. */
export type ScriptedAnswer =
  | { code: number; status?: number; message?: string; details?: string; retryAfter?: string; transient?: boolean }
  /** The connection is dropped without an answer. */
  | { network: true }
  /** No answer ever (the client's timeout is what ends it). */
  | { hang: true }
  /** A body that is no Graph error (a proxy's page). */
  | { status: number; raw: string }
  /** An error body that never ends: the client must stop reading on its own. */
  | { status: number; endless: true }
  /** The message is accepted (recorded, its status webhook sent) but the connection drops before the answer. */
  | { acceptThenDrop: true }

export type AcceptedMessage = {
  id: string
  phoneNumberId: string
  to: string
  type: string
  body: Record<string, unknown>
  at: number
}

/** Graph's words for the errors the fake answers (HTTP status, message, `error_data.details`). */
const GRAPH_ERRORS: Record<number, { status: number; message: string; details?: string; type?: string }> = {
  1: { status: 500, message: 'An unknown error occurred', type: 'OAuthException' },
  2: { status: 503, message: 'Service temporarily unavailable', type: 'OAuthException' },
  4: { status: 400, message: '(#4) Application request limit reached', type: 'OAuthException' },
  100: { status: 400, message: '(#100) Invalid parameter', type: 'OAuthException' },
  190: { status: 401, message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException' },
  130429: {
    status: 400,
    message: '(#130429) Rate limit hit',
    details: 'Cloud API message throughput has been reached.',
  },
  131000: {
    status: 500,
    message: '(#131000) Something went wrong',
    details: 'Message failed to send due to an unknown error.',
  },
  131016: { status: 503, message: '(#131016) Service unavailable', details: 'A service is temporarily unavailable.' },
  131026: {
    status: 400,
    message: '(#131026) Message undeliverable',
    details: 'Message failed to send because the recipient cannot receive it.',
  },
  131047: {
    status: 400,
    message: '(#131047) Re-engagement message',
    details:
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131048: {
    status: 400,
    message: '(#131048) Spam rate limit hit',
    details:
      'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
  },
  131049: {
    status: 400,
    message: '(#131049) This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131056: {
    status: 400,
    message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    details:
      'Message failed to send because there were too many messages sent from this phone number to the same ' +
      'phone number in a short period of time.',
  },
  132001: { status: 400, message: '(#132001) Template name does not exist in the translation' },
}
const PAIR_WINDOW_MS = 6_000
const TEXT_TYPES = new Set(['text', 'reaction', 'image', 'video', 'audio', 'document', 'sticker', 'location'])

const graphError = (code: number, over: { message?: string; details?: string; transient?: boolean } = {}) => {
  const known = GRAPH_ERRORS[code] ?? { status: 400, message: `(#${code}) Error` }
  const details = over.details ?? known.details
  return {
    error: {
      message: over.message ?? known.message,
      type: known.type ?? 'OAuthException',
      code,
      ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
      ...(over.transient !== undefined ? { is_transient: over.transient } : {}),
      fbtrace_id: `A${randomBytes(8).toString('base64url')}`,
    },
  }
}
const newWamid = () => `wamid.${randomBytes(24).toString('base64')}`
const seconds = (ms: number) => String(Math.floor(ms / 1000))

const readJson = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return undefined
  }
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Where a webhook goes: a URL, or `send` for an app that is not listening (a test's `inject`); answers the status. */
export type CloudWebhookTarget = string | ((raw: string, signature: string) => Promise<number>)

/** The app's webhook as a target, called in process (`inject`): `app` is read at each delivery (set in a beforeAll). */
export const webhookOf =
  (app: () => { inject: FastifyInstance['inject'] }) =>
  async (raw: string, signature: string): Promise<number> =>
    (
      await app().inject({
        method: 'POST',
        url: '/api/webhooks/whatsapp',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        payload: raw,
      })
    ).statusCode

/**
 * A loopback WhatsApp Cloud API (Meta's Graph API), speaking its request, answer, error and webhook shapes:
 * `POST /{version}/{phone-number-id}/messages` (Bearer token, per-number throughput, the pair rate, closed 24-hour
 * windows, scripted failures; accepted messages are recorded in order with their `wamid.` ids),
 * `GET /{version}/{waba-id}/message_templates` (paged), `GET /{version}/{phone-number-id}?fields=…`, and signed
 * webhook deliveries built from real payload shapes.
 */
export const startFakeWhatsAppCloud = async (options: FakeWhatsAppCloudOptions) => {
  const now = options.now ?? Date.now
  const rate = options.throughputPerSecond ?? 80
  const numbers = new Map(options.numbers.map((n) => [n.phoneNumberId, n]))
  const buckets = new Map<string, { tokens: number; at: number }>()
  const lastTo = new Map<string, number>()
  const closedWindows = new Set<string>()
  const scripted: ScriptedAnswer[] = []
  const sent: AcceptedMessage[] = []
  const requests: { method: string; path: string; query: Record<string, string> }[] = []
  const templates = options.templates ?? {}
  let url = ''
  /** 130429 answers given (the number's throughput exceeded). */
  let throttled = 0
  const throttledAt: number[] = []
  /** Called with each accepted message (the automatic `sent` status webhook, when one is set). */
  let onAccepted: ((m: AcceptedMessage) => void) | undefined
  const webhooks = new Set<Promise<unknown>>()

  /** Takes one message from the number's bucket (refilled continuously at `rate`, holding one second's worth). */
  const take = (phoneNumberId: string) => {
    const t = now()
    const bucket = buckets.get(phoneNumberId) ?? { tokens: rate, at: t }
    bucket.tokens = Math.min(rate, bucket.tokens + ((t - bucket.at) / 1000) * rate)
    bucket.at = t
    buckets.set(phoneNumberId, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  const unauthorized = (res: ServerResponse) => json(res, 401, graphError(190))
  const missing = (res: ServerResponse, id: string, verb: string) =>
    json(res, 400, {
      error: {
        ...graphError(100).error,
        message:
          `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing ` +
          'permissions, or does not support this operation.',
        error_subcode: 33,
      },
    })
  const fail = (res: ServerResponse, code: number, over: Parameters<typeof graphError>[1] & { status?: number } = {}) =>
    json(res, over.status ?? GRAPH_ERRORS[code]?.status ?? 400, graphError(code, over))

  const answerScripted = (res: ServerResponse, answer: ScriptedAnswer) => {
    if ('network' in answer) return res.socket?.destroy()
    if ('hang' in answer) return undefined
    if ('raw' in answer) return res.writeHead(answer.status, { 'content-type': 'text/html' }).end(answer.raw)
    if ('acceptThenDrop' in answer) return res.socket?.destroy()
    if ('endless' in answer) {
      res.writeHead(answer.status, { 'content-type': 'application/json' })
      res.write(`{"error":{"message":"${'x'.repeat(64 * 1024)}`)
      return undefined
    }
    return json(res, answer.status ?? GRAPH_ERRORS[answer.code]?.status ?? 400, graphError(answer.code, answer), {
      ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
    })
  }

  /** Graph's own check of a message body: the first missing parameter as its 100 error, else undefined. */
  const invalidParam = (body: Record<string, unknown>) => {
    if (body.messaging_product !== 'whatsapp') return 'The parameter messaging_product is required.'
    if (typeof body.to !== 'string' || !body.to) return 'The parameter to is required.'
    const type = typeof body.type === 'string' ? body.type : 'text'
    const object = body[type]
    if (!isRecord(object)) return `The parameter ${type} is required.`
    if (type === 'text' && typeof object.body !== 'string') return "The parameter text['body'] is required."
    if (type === 'template') {
      const language = object.language
      if (typeof object.name !== 'string') return "The parameter template['name'] is required."
      if (!isRecord(language) || typeof language.code !== 'string')
        return "The parameter template['language']['code'] is required."
    }
    if (type === 'reaction' && typeof object.message_id !== 'string')
      return "The parameter reaction['message_id'] is required."
    if (type !== 'template' && !TEXT_TYPES.has(type)) return `Unsupported message type ${type}.`
    return undefined
  }

  const postMessage = async (req: IncomingMessage, res: ServerResponse, phoneNumberId: string) => {
    const body = await readJson(req)
    const number = numbers.get(phoneNumberId)
    if (!number) return bearer(req) ? missing(res, phoneNumberId, 'post') : unauthorized(res)
    if (bearer(req) !== number.accessToken) return unauthorized(res)
    const scriptedAnswer = scripted.shift()
    const dropAnswer = scriptedAnswer !== undefined && 'acceptThenDrop' in scriptedAnswer
    if (scriptedAnswer && !dropAnswer) return answerScripted(res, scriptedAnswer)
    if (!take(phoneNumberId)) {
      throttled++
      throttledAt.push(now())
      return fail(res, 130429)
    }
    if (!isRecord(body)) return fail(res, 100, { message: '(#100) Invalid JSON body.' })
    const problem = invalidParam(body)
    if (problem) return fail(res, 100, { message: `(#100) ${problem}` })
    const to = String(body.to).replace(/^\+/, '')
    const type = typeof body.type === 'string' ? body.type : 'text'
    if (type === 'template' && number.wabaId && templates[number.wabaId]) {
      const t = body.template as { name: string; language: { code: string } }
      const known = templates[number.wabaId]!.some(
        (x) => x.name === t.name && x.language === t.language.code && (x.status ?? 'APPROVED') === 'APPROVED',
      )
      if (!known)
        return fail(res, 132001, { details: `template name (${t.name}) does not exist in ${t.language.code}` })
    }
    if (type !== 'template' && closedWindows.has(to)) return fail(res, 131047)
    const pairKey = `${phoneNumberId}:${to}`
    const last = lastTo.get(pairKey)
    if (options.pairRate !== false && last !== undefined && now() - last < PAIR_WINDOW_MS) return fail(res, 131056)
    lastTo.set(pairKey, now())
    const id = newWamid()
    const accepted = { id, phoneNumberId, to, type, body, at: now() }
    sent.push(accepted)
    onAccepted?.(accepted)
    if (dropAnswer) return res.socket?.destroy()
    if (options.answerDelayMs) await new Promise((ok) => setTimeout(ok, options.answerDelayMs))
    if (res.destroyed) return undefined
    return json(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: String(body.to), wa_id: to }],
      messages: [{ id, ...(type === 'template' ? { message_status: 'accepted' } : {}) }],
    })
  }

  const getTemplates = (req: IncomingMessage, res: ServerResponse, wabaId: string, query: URLSearchParams) => {
    const owner = options.numbers.find((n) => n.wabaId === wabaId)
    if (!owner) return bearer(req) ? missing(res, wabaId, 'get') : unauthorized(res)
    if (bearer(req) !== owner.accessToken) return unauthorized(res)
    const all = templates[wabaId] ?? []
    const limit = Math.max(1, Math.min(Number(query.get('limit') ?? 25) || 25, 1000))
    const start = query.get('after') ? Number(Buffer.from(query.get('after')!, 'base64url').toString()) : 0
    const data = all.slice(start, start + limit).map((t, i) => ({
      name: t.name,
      language: t.language,
      status: t.status ?? 'APPROVED',
      category: t.category ?? 'UTILITY',
      components: t.components ?? [{ type: 'BODY', text: `Hello {{1}}, this is ${t.name}.` }],
      id: String(1_000_000 + start + i),
    }))
    const cursor = (n: number) => Buffer.from(String(n)).toString('base64url')
    const paging: Record<string, unknown> = { cursors: { before: cursor(start), after: cursor(start + data.length) } }
    if (start + limit < all.length) {
      const next = new URL(`${options.nextPageOrigin ?? url}/${req.url!.split('?')[0]!.replace(/^\//, '')}`)
      for (const [k, v] of query) if (k !== 'after') next.searchParams.set(k, v)
      next.searchParams.set('after', cursor(start + limit))
      paging.next = next.toString()
    }
    return json(res, 200, { data, paging })
  }

  const getNumber = (req: IncomingMessage, res: ServerResponse, phoneNumberId: string, query: URLSearchParams) => {
    const number = numbers.get(phoneNumberId)
    if (!number) return bearer(req) ? missing(res, phoneNumberId, 'get') : unauthorized(res)
    if (bearer(req) !== number.accessToken) return unauthorized(res)
    const all: Record<string, unknown> = {
      display_phone_number: number.displayPhoneNumber,
      verified_name: number.verifiedName ?? 'Fake Business',
      quality_rating: 'GREEN',
      code_verification_status: 'VERIFIED',
    }
    const fields = (query.get('fields') ?? 'display_phone_number,verified_name').split(',')
    return json(res, 200, {
      ...Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]])),
      id: number.phoneNumberId,
    })
  }

  /** Media a number received (the fake's CDN): Graph's `GET /{media-id}` answers where to download it, with the token. */
  const media = new Map<string, { data: Buffer; mime: string; sha256: string; owner: string; declared?: number }>()
  const getMedia = (req: IncomingMessage, res: ServerResponse, mediaId: string) => {
    const file = media.get(mediaId)!
    if (bearer(req) !== numberFor(file.owner).accessToken) return unauthorized(res)
    return json(res, 200, {
      messaging_product: 'whatsapp',
      url: `${url}/media-download/${mediaId}?ext=${Date.now()}`,
      mime_type: file.mime,
      sha256: file.sha256,
      file_size: file.declared ?? file.data.length,
      id: mediaId,
    })
  }
  const downloadMedia = (req: IncomingMessage, res: ServerResponse, mediaId: string) => {
    const file = media.get(mediaId)
    if (!file) return json(res, 404, graphError(100, { message: 'Media not found' }))
    if (bearer(req) !== numberFor(file.owner).accessToken) return unauthorized(res)
    res.writeHead(200, { 'content-type': file.mime, 'content-length': file.data.length })
    res.end(file.data)
  }

  const server = createServer(async (req, res) => {
    const target = new URL(req.url ?? '/', 'http://fake')
    const download = /^\/media-download\/(\d+)$/.exec(target.pathname)
    if (req.method === 'GET' && download) {
      requests.push({ method: 'GET', path: target.pathname, query: Object.fromEntries(target.searchParams) })
      return downloadMedia(req, res, download[1]!)
    }
    requests.push({
      method: req.method ?? 'GET',
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
    })
    const [, version, id, edge, ...rest] = target.pathname.split('/')
    try {
      if (!version || !/^v\d+\.\d+$/.test(version) || !id || rest.length)
        return json(res, 400, graphError(100, { message: 'Unknown path components' }))
      if (req.method === 'POST' && edge === 'messages') return await postMessage(req, res, id)
      if (req.method === 'GET' && edge === 'message_templates') return getTemplates(req, res, id, target.searchParams)
      if (req.method === 'GET' && edge === undefined && media.has(id)) return getMedia(req, res, id)
      if (req.method === 'GET' && edge === undefined) return getNumber(req, res, id, target.searchParams)
      return json(res, 400, graphError(100, { message: `Unsupported ${req.method?.toLowerCase()} request.` }))
    } catch (err) {
      return json(res, 500, graphError(1, { message: err instanceof Error ? err.message : String(err) }))
    }
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  const sign = (raw: string, secret = options.appSecret) =>
    `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`
  const numberFor = (phoneNumberId: string) => {
    const number = numbers.get(phoneNumberId)
    if (!number) throw new Error(`no fake number ${phoneNumberId}`)
    return number
  }
  /** The webhook payload for one number: one entry (its WABA) with one change of `field`. */
  const payload = (phoneNumberId: string, value: Record<string, unknown>, field = 'messages') => {
    const number = numberFor(phoneNumberId)
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: number.wabaId ?? '100000000000000',
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: number.displayPhoneNumber, phone_number_id: phoneNumberId },
                ...value,
              },
              field,
            },
          ],
        },
      ],
    }
  }

  const api = {
    url,
    /** Messages the fake accepted, in order, with their `wamid.` ids and request bodies. */
    sent,
    /** 130429 answers given so far (messages over the number's throughput). */
    throttled: () => throttled,
    /** When each 130429 was answered (the fake's clock). */
    throttledAt,
    /** How many times a message carrying this `biz_opaque_callback_data` (Camarad's id) was accepted. */
    sendsOf: (ourId: string) => sent.filter((m) => m.body.biz_opaque_callback_data === ourId).length,
    /** Camarad's ids accepted more than once: what a recipient would have received twice. */
    duplicates: () => {
      const counts = new Map<string, number>()
      for (const m of sent) {
        const key = m.body.biz_opaque_callback_data
        if (typeof key === 'string') counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return [...counts].filter(([, n]) => n > 1).map(([id]) => id)
    },
    /**
     * From now on, every accepted message's `sent` status is delivered to `target` as Meta does (echoing its
     * `biz_opaque_callback_data`), whatever happened to the send's own answer; undefined stops it.
     */
    deliverStatusesTo: (target: CloudWebhookTarget | undefined) => {
      onAccepted = target
        ? (m) => {
            const p = api
              .deliver(target, api.statuses(m.phoneNumberId, [{ message: m, status: 'sent' }]))
              .catch(() => 0)
            webhooks.add(p)
            void p.finally(() => webhooks.delete(p))
          }
        : undefined
    },
    /** Resolves when every status webhook started so far has been answered. */
    webhooksSettled: async () => {
      while (webhooks.size) await Promise.all([...webhooks])
    },
    requests,
    /** The next `POST …/messages` answers these instead, one each, in order. */
    script: (...answers: ScriptedAnswer[]) => {
      scripted.push(...answers)
    },
    /** Outside the 24-hour window: free-form messages to this WhatsApp id answer 131047 until it is opened. */
    closeWindow: (waId: string) => void closedWindows.add(waId),
    openWindow: (waId: string) => void closedWindows.delete(waId),
    sign,
    payload,
    /**
     * A file a contact sent to a number, on the fake's CDN: its media id for an inbound message's `image`/`document`/…
     * object. `declared` is the size Graph claims (a lie, to test the cap on what is actually read); `corrupt` serves
     * bytes other than the ones Graph's sha256 names.
     */
    addMedia: (
      phoneNumberId: string,
      data: Buffer,
      mime: string,
      opts: { declared?: number; corrupt?: boolean } = {},
    ) => {
      const id = String(7_000_000_000_000 + media.size)
      const sha256 = createHash('sha256').update(data).digest('hex')
      const served = opts.corrupt ? Buffer.concat([data, Buffer.from('x')]) : data
      media.set(id, { data: served, mime, sha256, owner: phoneNumberId, declared: opts.declared })
      return id
    },
    /** A message received by a number (any type: `message` holds `type` and the type's object), as Meta sends it. */
    inbound: (
      phoneNumberId: string,
      from: { waId: string; name?: string },
      message: Record<string, unknown> & { type: string },
      at = now(),
    ) =>
      payload(phoneNumberId, {
        contacts: [{ profile: { name: from.name ?? 'Fake Person' }, wa_id: from.waId }],
        messages: [{ from: from.waId, id: newWamid(), timestamp: seconds(at), ...message }],
      }),
    /** A text message received by a number; `replyTo` quotes a message (`context`). */
    inboundText: (
      phoneNumberId: string,
      from: { waId: string; name?: string },
      text: string,
      opts: { id?: string; replyTo?: string; at?: number } = {},
    ) =>
      payload(phoneNumberId, {
        contacts: [{ profile: { name: from.name ?? 'Fake Person' }, wa_id: from.waId }],
        messages: [
          {
            ...(opts.replyTo
              ? { context: { from: numberFor(phoneNumberId).displayPhoneNumber, id: opts.replyTo } }
              : {}),
            from: from.waId,
            id: opts.id ?? newWamid(),
            timestamp: seconds(opts.at ?? now()),
            text: { body: text },
            type: 'text',
          },
        ],
      }),
    /**
     * Status webhooks for messages the fake accepted (`sent`, `delivered`, `read`, or `failed` with a Graph error
     * code), echoing their `biz_opaque_callback_data` as Meta does.
     */
    statuses: (
      phoneNumberId: string,
      updates: { message: AcceptedMessage | string; status: string; to?: string; code?: number; at?: number }[],
    ) =>
      payload(phoneNumberId, {
        statuses: updates.map((u) => {
          const accepted = typeof u.message === 'string' ? sent.find((m) => m.id === u.message) : u.message
          const error = u.code === undefined ? undefined : graphError(u.code).error
          const callback = accepted?.body.biz_opaque_callback_data
          return {
            id: accepted?.id ?? u.message,
            status: u.status,
            timestamp: seconds(u.at ?? now()),
            recipient_id: u.to ?? accepted?.to,
            ...(typeof callback === 'string' ? { biz_opaque_callback_data: callback } : {}),
            ...(u.status === 'failed' || u.status === 'sent'
              ? { conversation: { id: randomBytes(16).toString('hex'), origin: { type: 'service' } } }
              : {}),
            ...(error
              ? {
                  errors: [
                    {
                      code: error.code,
                      title: error.message.replace(/^\(#\d+\) /, ''),
                      message: error.message.replace(/^\(#\d+\) /, ''),
                      error_data: { details: error.error_data?.details ?? error.message },
                    },
                  ],
                }
              : {}),
          }
        }),
      }),
    /** POSTs a payload to our webhook as Meta does: JSON, signed with `X-Hub-Signature-256`; answers the status. */
    deliver: async (target: CloudWebhookTarget, body: unknown, opts: { secret?: string } = {}) => {
      const raw = JSON.stringify(body)
      const signature = sign(raw, opts.secret)
      if (typeof target === 'function') return target(raw, signature)
      const res = await fetch(target, {
        method: 'POST',
        body: raw,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'facebookexternalua',
          'x-hub-signature-256': signature,
        },
      })
      await res.arrayBuffer()
      return res.status
    },
    close: () =>
      new Promise<void>((ok) => {
        // A scripted hang or endless body keeps its connection open: end them all.
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
  return api
}
export type FakeWhatsAppCloud = Awaited<ReturnType<typeof startFakeWhatsAppCloud>>
