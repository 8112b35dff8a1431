import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { InboundMessage, MessageContent, StatusUpdate } from '../driver.ts'
import { clip } from './graph.ts'

// What Meta POSTs to the Cloud API webhook, checked and normalised without I/O: the route verifies the signature on
// the raw bytes, parses the JSON and hands it here.

/** Deeper than this is no payload Meta sends (its deepest, an interactive reply, is about ten levels). */
export const MAX_DEPTH = 64
/** Values walked before a body is refused, whatever its shape: the check's own cost stays bounded. */
export const MAX_VALUES = 1_000_000
/** Any one array longer than this is refused before its items are looked at. */
export const MAX_ARRAY = 10_000
/** Entries, changes, messages, statuses and contacts per list: Meta batches far fewer. */
export const MAX_ITEMS = 1_000

/** A body that is not a WhatsApp Business Account webhook Camarad can read; the route answers 400 with `problem`. */
export class CloudWebhookInvalid extends Error {
  readonly problem: string
  constructor(problem: string) {
    super(`The WhatsApp webhook body is invalid: ${problem}`)
    this.problem = problem
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Meta's subscription check (`GET` with `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`): the challenge to
 * echo when the token matches ours (compared in constant time, by digest so its length is not told either), else null.
 */
export const verifyChallenge = (query: Record<string, unknown> | undefined, verifyToken: string): string | null => {
  const mode = query?.['hub.mode']
  const token = query?.['hub.verify_token']
  const challenge = query?.['hub.challenge']
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string' || !verifyToken) return null
  if (!timingSafeEqual(digest(token), digest(verifyToken))) return null
  // Meta's challenge is a number; anything else is not echoed into a response body.
  return /^[A-Za-z0-9._-]{1,256}$/.test(challenge) ? challenge : null
}

/**
 * `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the exact bytes with the app secret. Any of `appSecrets`
 * may match, so a secret can be rotated without dropping deliveries; each comparison is constant-time.
 */
export const verifySignature = (raw: Buffer, header: string | undefined, appSecrets: string[]) => {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '')
  if (!match) return false
  const given = Buffer.from(match[1]!, 'hex')
  let ok = false
  for (const secret of appSecrets) {
    if (!secret) continue
    if (timingSafeEqual(createHmac('sha256', secret).update(raw).digest(), given)) ok = true
  }
  return ok
}

/**
 * The body's first problem of size or depth, walked without recursion and with a bounded number of steps: a hostile
 * body (thousands of levels, a million-item array) is refused before any schema looks at it. Children are counted
 * before they are visited, so an array that breaks a limit is refused without reading its items.
 */
const oversized = (body: unknown): string | undefined => {
  // One flat stack of (value, depth) pairs: no allocation per value, which keeps the walk far cheaper than JSON.parse.
  const stack: unknown[] = [body, 0]
  let seen = 0
  while (stack.length) {
    const depth = stack.pop() as number
    const value = stack.pop()
    if (value === null || typeof value !== 'object') continue
    if (depth >= MAX_DEPTH) return `it is nested deeper than ${MAX_DEPTH} levels`
    if (Array.isArray(value)) {
      if (value.length > MAX_ARRAY) return `an array holds more than ${MAX_ARRAY} items`
      seen += value.length
      if (seen > MAX_VALUES) return `it holds more than ${MAX_VALUES} values`
      for (let i = 0; i < value.length; i++) stack.push(value[i], depth + 1)
    } else
      for (const key in value) {
        if (++seen > MAX_VALUES) return `it holds more than ${MAX_VALUES} values`
        stack.push((value as Record<string, unknown>)[key], depth + 1)
      }
  }
  return undefined
}

// Text is stored as it came, except what the database cannot hold (NUL, lone surrogates): replaced, never refused,
// so one odd message cannot make Meta redeliver a whole batch forever.
const clean = (s: string) => s.replaceAll('\u0000', '\uFFFD').toWellFormed()
const Id = z.string().min(1).max(512)
const Text = z.string().max(65_536).transform(clean)
const Name = z.string().max(1_024).transform(clean)
/** Seconds since the epoch, as a string (what Meta sends) or a number. */
const Timestamp = z
  .union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative().max(1e12)])
  .transform((s) => new Date(Number(s) * 1000))
const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_ITEMS)

const Contact = z.object({
  wa_id: Id.optional(),
  user_id: Id.optional(),
  profile: z.object({ name: Name.optional() }).optional(),
})
/** What every message has; its type's own object is read by `contentOf`, so an odd one never fails the batch. */
const Envelope = z.looseObject({
  id: Id,
  timestamp: Timestamp,
  type: z.string().min(1).max(64),
  context: z.object({ id: Id.optional() }).optional(),
})
// A person who adopted a WhatsApp username may come without a phone number (`from`), named only by their
// business-scoped user id (BSUID, `from_user_id`): either names the chat, and a message with neither is malformed.
const Incoming = Envelope.extend({ from: Id.optional(), from_user_id: Id.optional() }).refine(
  (m) => m.from !== undefined || m.from_user_id !== undefined,
  { message: 'A message names its sender (from or from_user_id).', path: ['from'] },
)
const Echo = Envelope.extend({ to: Id })
const Media = z.object({
  id: Id,
  mime_type: z.string().max(255).optional(),
  caption: Text.optional(),
  filename: Name.optional(),
  file_size: z.number().int().nonnegative().optional(),
})
const Location = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: Name.optional(),
  address: Name.optional(),
})
const Reply = z.object({ id: Id.optional(), title: Text })
const Interactive = z.object({
  type: z.string(),
  button_reply: Reply.optional(),
  list_reply: Reply.optional(),
})
const GraphError = z.object({
  code: z.number().int(),
  title: Name.optional(),
  message: Name.optional(),
  error_data: z.object({ details: Name.optional() }).optional(),
})
const Status = z.object({
  id: Id,
  status: z.string().max(64),
  timestamp: Timestamp,
  recipient_id: Id.optional(),
  recipient_user_id: Id.optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
  errors: z.array(GraphError).max(100).optional(),
})
const Metadata = z.object({ phone_number_id: Id })
const MessagesValue = z.object({
  metadata: Metadata,
  contacts: list(Contact).optional(),
  messages: list(Incoming).optional(),
  statuses: list(Status).optional(),
})
const EchoesValue = z.object({ metadata: Metadata, message_echoes: list(Echo).optional() })
const Body = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: list(z.object({ changes: list(z.object({ field: z.string().max(128), value: z.unknown() })) })),
})

const MEDIA = new Set(['image', 'video', 'audio', 'document', 'sticker'] as const)
type Media = typeof MEDIA extends Set<infer M> ? M : never
const isMedia = (type: string): type is Media => MEDIA.has(type as Media)

/** A message's content by its type; a type Camarad does not render, or one whose object is odd, is `unsupported`. */
const contentOf = (message: z.infer<typeof Envelope>): MessageContent => {
  const { type } = message
  const body = message[type]
  const unsupported = { type: 'unsupported', kind: clean(type) } as const
  if (type === 'text') {
    const text = z.object({ body: Text }).safeParse(body)
    return text.success ? { type: 'text', text: text.data.body } : unsupported
  }
  if (isMedia(type)) {
    const media = Media.safeParse(body)
    if (!media.success) return unsupported
    return {
      type: 'media',
      media: type,
      mime: media.data.mime_type ?? 'application/octet-stream',
      caption: media.data.caption ?? null,
      fileName: media.data.filename ?? null,
      bytes: media.data.file_size ?? null,
      providerMediaId: media.data.id,
    }
  }
  if (type === 'location') {
    const at = Location.safeParse(body)
    return at.success
      ? { type: 'location', ...at.data, name: at.data.name ?? null, address: at.data.address ?? null }
      : unsupported
  }
  if (type === 'reaction') {
    // No emoji (or an empty one) is a reaction taken back.
    const reaction = z.object({ message_id: Id, emoji: Name.optional() }).safeParse(body)
    return reaction.success
      ? { type: 'reaction', emoji: reaction.data.emoji ?? '', targetProviderId: reaction.data.message_id }
      : unsupported
  }
  // A tapped template button or interactive reply reads as what the person tapped, as it shows in their chat.
  if (type === 'button') {
    const button = z.object({ text: Text }).safeParse(body)
    return button.success ? { type: 'text', text: button.data.text } : unsupported
  }
  if (type === 'interactive') {
    const reply = Interactive.safeParse(body)
    const chosen = reply.success ? (reply.data.button_reply ?? reply.data.list_reply) : undefined
    return chosen ? { type: 'text', text: chosen.title } : { type: 'unsupported', kind: 'interactive' }
  }
  return unsupported
}

/** A media message's bytes are fetched later by its media id (Graph answers a short-lived URL for it). */
const withSource = (content: MessageContent) => ({
  content,
  ...(content.type === 'media' && content.providerMediaId
    ? { mediaSource: { provider: 'cloud', id: content.providerMediaId } as const }
    : {}),
})

const STATUSES = new Set(['sent', 'delivered', 'read', 'failed'] as const)
type Delivery = typeof STATUSES extends Set<infer S> ? S : never

const statusOf = (s: z.infer<typeof Status>): StatusUpdate | undefined => {
  // Other statuses (`deleted`, `warning`, …) say nothing about delivery: they are not passed on.
  if (!STATUSES.has(s.status as Delivery)) return undefined
  const error = s.errors?.[0]
  return {
    providerMessageId: s.id,
    status: s.status as Delivery,
    at: s.timestamp,
    recipient: s.recipient_id ?? s.recipient_user_id ?? null,
    ourId: s.biz_opaque_callback_data ?? null,
    error: error
      ? {
          code: `whatsapp.${error.code}`,
          message: clip(error.message ?? error.title, error.error_data?.details),
        }
      : null,
  }
}

export type CloudWebhookNumber = { phoneNumberId: string; messages: InboundMessage[]; statuses: StatusUpdate[] }
export type CloudWebhook = { numbers: CloudWebhookNumber[] }

const problemOf = (error: z.ZodError, where: string) => {
  const issue = error.issues[0]
  const path = [where, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.')
  return `${path || 'body'}: ${issue?.message ?? 'invalid'}`
}

/**
 * A `whatsapp_business_account` webhook, grouped by the number it is for: messages received (and, for a number that
 * also uses the WhatsApp Business app, `smb_message_echoes` as messages `fromMe`) and delivery statuses, in the
 * order Meta listed them. Other change fields (template reviews, account updates) are not messages and are skipped.
 * Throws `CloudWebhookInvalid` for a body that is not such a webhook, too large or too deep.
 */
export const parseWebhook = (body: unknown): CloudWebhook => {
  const tooBig = oversized(body)
  if (tooBig) throw new CloudWebhookInvalid(tooBig)
  const parsed = Body.safeParse(body)
  if (!parsed.success) throw new CloudWebhookInvalid(problemOf(parsed.error, ''))
  const numbers = new Map<string, CloudWebhookNumber>()
  const numberOf = (phoneNumberId: string) => {
    const found = numbers.get(phoneNumberId) ?? { phoneNumberId, messages: [], statuses: [] }
    numbers.set(phoneNumberId, found)
    return found
  }
  parsed.data.entry.forEach((entry, e) =>
    entry.changes.forEach((change, c) => {
      const where = `entry.${e}.changes.${c}.value`
      if (change.field === 'messages') {
        const value = MessagesValue.safeParse(change.value)
        if (!value.success) throw new CloudWebhookInvalid(problemOf(value.error, where))
        const number = numberOf(value.data.metadata.phone_number_id)
        const names = new Map<string | undefined, string | null>()
        for (const c of value.data.contacts ?? [])
          for (const id of [c.wa_id, c.user_id]) if (id) names.set(id, c.profile?.name ?? null)
        for (const m of value.data.messages ?? [])
          number.messages.push({
            providerMessageId: m.id,
            party: {
              waId: (m.from ?? m.from_user_id)!,
              phone: m.from ?? null,
              name: names.get(m.from ?? m.from_user_id) ?? null,
            },
            fromMe: false,
            at: m.timestamp,
            ...withSource(contentOf(m)),
            replyTo: m.context?.id ?? null,
          })
        for (const s of value.data.statuses ?? []) {
          const status = statusOf(s)
          if (status) number.statuses.push(status)
        }
      } else if (change.field === 'smb_message_echoes') {
        const value = EchoesValue.safeParse(change.value)
        if (!value.success) throw new CloudWebhookInvalid(problemOf(value.error, where))
        const number = numberOf(value.data.metadata.phone_number_id)
        for (const m of value.data.message_echoes ?? [])
          number.messages.push({
            providerMessageId: m.id,
            party: { waId: m.to, phone: m.to },
            fromMe: true,
            at: m.timestamp,
            ...withSource(contentOf(m)),
            replyTo: m.context?.id ?? null,
          })
      }
    }),
  )
  return { numbers: [...numbers.values()] }
}
