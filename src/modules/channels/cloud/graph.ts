import { z } from 'zod'
import { SendFailure, type Outgoing, type SendFailureKind } from '../driver.ts'

// The Graph API's address is the operator's configuration (Meta's, or a test's loopback fake), never a user's: plain
// `fetch` with a timeout is right here, not the egress client that guards user-supplied addresses.
export const GRAPH_BASE_URL = 'https://graph.facebook.com'
export const GRAPH_VERSION = 'v21.0'
const TIMEOUT_MS = 15_000
/** An error body is read this far at most: its `error` object is small, and the rest is not worth waiting for. */
export const ERROR_BODY_BYTES = 16 * 1024
/** A success body (a send's ids, a page of templates) is read this far at most. */
const RESPONSE_BYTES = 1024 * 1024
/** A failure's message is clipped to this many characters: it is shown to people and stored with the message. */
export const FAILURE_MESSAGE_CHARS = 500
/** Meta caps a WhatsApp Business Account at 6,000 templates: 100 pages of 100 hold them all. */
const TEMPLATE_PAGES = 100
const TEMPLATE_PAGE_SIZE = 100
/** The pair rate: about one message every 6 s to the same person (131056), when Meta gives no Retry-After. */
export const PAIR_RATE_MS = 6_000
/** `biz_opaque_callback_data` holds at most 512 characters. */
const CALLBACK_DATA_CHARS = 512
/** Phone number ids and WhatsApp Business Account ids are numeric: anything else would change the request's path. */
const GRAPH_ID = /^\d{1,32}$/

// Throughput (130429), transient or unknown (1, 2, 131000, 131016), API-call rate (4, 80007), maintenance (131057).
const RETRY_LATER = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131057])
// Spam and ecosystem limits (131048, 131049: retrying makes it worse), undeliverable (131026), a bad parameter or
// token (100, 190): the same request cannot succeed later.
const PERMANENT = new Set([100, 190, 131026, 131048, 131049])

/**
 * How the outbox acts on a Graph error code (from a send's answer, or from a `failed` status's `errors`): 131056 paces
 * that recipient, 131047 needs a template, transient and throughput codes retry later, the rest is permanent unless
 * the HTTP status (429, 5xx) or Graph's `is_transient` says it may pass.
 */
export const failureKindOf = (code: number | undefined, httpStatus = 400, transient = false): SendFailureKind => {
  if (code === 131056) return 'pace_recipient'
  if (code === 131047) return 'needs_template'
  if (code !== undefined && RETRY_LATER.has(code)) return 'retry_later'
  if (code !== undefined && PERMANENT.has(code)) return 'permanent'
  if (transient || httpStatus === 429 || httpStatus >= 500) return 'retry_later'
  return 'permanent'
}

/** A Graph error object (`{ error: { message, type, code, error_data: { details }, … } }`), as far as we read it. */
const GraphError = z.object({
  error: z.object({
    message: z.string().optional(),
    code: z.number().int().optional(),
    is_transient: z.boolean().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
  }),
})

/** Graph's words (message, then details) on one line, without control characters, clipped. */
export const clip = (...parts: (string | undefined)[]) => {
  // eslint-disable-next-line no-control-regex
  const text = [...new Set(parts.filter(Boolean))].join(' — ').replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return text.length > FAILURE_MESSAGE_CHARS ? `${text.slice(0, FAILURE_MESSAGE_CHARS - 1)}…` : text
}

/** A `Retry-After` header (seconds or an HTTP date) in ms, capped at an hour; undefined when absent or unreadable. */
const retryAfterMs = (value: string | null) => {
  if (!value) return undefined
  const seconds = Number(value)
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.min(Math.max(seconds, 0), 3600) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - Date.now(), 0), 3_600_000)
}

/** At most `maxBytes` of a body; the rest is not read (the stream is cancelled, which drops the connection). */
const readBounded = async (res: Response, maxBytes: number) => {
  if (!res.body) return { text: '', truncated: false }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { text: Buffer.concat(chunks).toString('utf8'), truncated: false }
    if (size + value.length > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size))
      await reader.cancel().catch(() => {})
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true }
    }
    chunks.push(value)
    size += value.length
  }
}

/** At most `maxBytes` of a body as bytes; `truncated` when it had more (the rest is not read). */
export const readBytes = async (res: Response, maxBytes: number) => {
  if (!res.body) return { data: Buffer.alloc(0), truncated: false }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { data: Buffer.concat(chunks), truncated: false }
    size += value.length
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      return { data: Buffer.alloc(0), truncated: true }
    }
    chunks.push(value)
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A non-2xx answer as a SendFailure: Graph's code and words when its body says, else the HTTP status. */
const failureOf = async (res: Response) => {
  const { text } = await readBounded(res, ERROR_BODY_BYTES).catch(() => ({ text: '' }))
  const parsed = GraphError.safeParse(parseJson(text))
  const error = parsed.success ? parsed.data.error : undefined
  const code = error?.code
  const kind = failureKindOf(code, res.status, error?.is_transient)
  const message = clip(error?.message, error?.error_data?.details) || `The Graph API answered ${res.status}.`
  const retryAfter =
    retryAfterMs(res.headers.get('retry-after')) ?? (kind === 'pace_recipient' ? PAIR_RATE_MS : undefined)
  return new SendFailure(
    kind,
    code === undefined ? `whatsapp.http_${res.status}` : `whatsapp.${code}`,
    message,
    retryAfter,
  )
}

const invalidResponse = (what: string) =>
  new SendFailure('permanent', 'whatsapp.invalid_response', `The Graph API answered ${what} that Camarad cannot read.`)

const SendAnswer = z.object({
  contacts: z.array(z.object({ wa_id: z.string().max(256).optional() })).optional(),
  messages: z.array(z.object({ id: z.string().min(1).max(512) })).min(1),
})
const Template = z.object({
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string(),
  components: z.array(z.unknown()).default([]),
})
export type GraphTemplate = z.infer<typeof Template>
/** `GET /{media-id}`: where the file is for the next 5 minutes, and what Meta says it is. */
const MediaInfo = z.object({
  url: z.string().min(1).max(4096),
  mime_type: z.string().max(255).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/i)
    .optional(),
  file_size: z.coerce.number().int().nonnegative().optional(),
})
const TemplatePage = z.object({
  data: z.array(Template),
  paging: z.object({ next: z.string().optional() }).optional(),
})
const NumberFields = z.object({ display_phone_number: z.string(), verified_name: z.string() })

/** The Cloud API request body for a message (`messaging_product`, `to`, `type` and the type's object). */
export const messageBody = (outgoing: Outgoing, callbackData?: string) => {
  const { content } = outgoing
  const typed =
    content.type === 'text'
      ? { type: 'text', text: { body: content.text, preview_url: content.previewUrl ?? false } }
      : content.type === 'template'
        ? {
            type: 'template',
            template: {
              name: content.name,
              language: { code: content.language },
              ...(content.components?.length ? { components: content.components } : {}),
            },
          }
        : { type: 'reaction', reaction: { message_id: content.targetProviderId, emoji: content.emoji } }
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: outgoing.to,
    ...typed,
    // A reaction names its message itself; anything else may quote the message it answers.
    ...(outgoing.replyTo && content.type !== 'reaction' ? { context: { message_id: outgoing.replyTo } } : {}),
    ...(callbackData ? { biz_opaque_callback_data: callbackData.slice(0, CALLBACK_DATA_CHARS) } : {}),
  }
}

export type GraphClientOptions = {
  baseUrl?: string
  version?: string
  fetch?: typeof fetch
  timeoutMs?: number
}

/**
 * The WhatsApp Cloud API over Meta's Graph API: sending, listing a WhatsApp Business Account's templates, and reading
 * a number's fields (which proves its token works). Every failure is a `SendFailure` whose kind tells the outbox what
 * to do and whose code is `whatsapp.<Graph code>` (or `whatsapp.http_<status>`, `whatsapp.timeout`,
 * `whatsapp.network`, `whatsapp.invalid_response`, `whatsapp.invalid_id`).
 */
export const createGraphClient = ({
  baseUrl = GRAPH_BASE_URL,
  version = GRAPH_VERSION,
  fetch: fetchImpl = fetch,
  timeoutMs = TIMEOUT_MS,
}: GraphClientOptions = {}) => {
  const base = new URL(baseUrl)
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}/${version}`

  const graphId = (id: string, what: string) => {
    if (!GRAPH_ID.test(id)) throw new SendFailure('permanent', 'whatsapp.invalid_id', `The ${what} must be digits.`)
    return id
  }

  /** One request; the answer's JSON (read within `RESPONSE_BYTES`), or a SendFailure. */
  const request = async (url: string, accessToken: string, body?: unknown) => {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const res = await fetchImpl(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // Graph does not redirect API calls; following one would carry the token somewhere else.
        redirect: 'error',
        signal,
      })
      if (!res.ok) throw await failureOf(res)
      const { text, truncated } = await readBounded(res, RESPONSE_BYTES)
      const json = truncated ? undefined : parseJson(text)
      if (json === undefined) throw invalidResponse(truncated ? 'a body too large' : 'a body')
      return json
    } catch (err) {
      if (err instanceof SendFailure) throw err
      // A timeout or a dropped connection after the request left may still have been acted on by Meta: the caller
      // retries, and a status webhook carrying `biz_opaque_callback_data` tells it the first attempt went through.
      if (signal.aborted)
        throw new SendFailure('retry_later', 'whatsapp.timeout', `The Graph API did not answer within ${timeoutMs} ms.`)
      const cause = (err as { cause?: { code?: string } }).cause?.code
      throw new SendFailure('retry_later', 'whatsapp.network', clip('Could not reach the Graph API', cause))
    }
  }

  return {
    /**
     * Sends one message from a number. `idempotencyKey` (the outbox's id for it) travels as
     * `biz_opaque_callback_data`, which Meta echoes in the message's status webhooks; Graph itself has no
     * idempotency, so a retry after an unanswered attempt can deliver twice and the echo is how that is seen.
     */
    async send(phoneNumberId: string, accessToken: string, outgoing: Outgoing, opts: { idempotencyKey?: string } = {}) {
      const url = `${root}/${graphId(phoneNumberId, 'phone number id')}/messages`
      const answer = SendAnswer.safeParse(await request(url, accessToken, messageBody(outgoing, opts.idempotencyKey)))
      if (!answer.success) throw invalidResponse('a send without a message id')
      return {
        providerMessageId: answer.data.messages[0]!.id,
        /** The WhatsApp id Meta resolved the recipient to (it may differ from `to`, e.g. for Brazilian numbers). */
        waId: answer.data.contacts?.[0]?.wa_id ?? null,
      }
    },

    /** Every template of a WhatsApp Business Account, following `paging.next` (on the Graph API's own origin only). */
    async templates(wabaId: string, accessToken: string): Promise<GraphTemplate[]> {
      const first = new URL(`${root}/${graphId(wabaId, 'WhatsApp Business Account id')}/message_templates`)
      first.searchParams.set('fields', 'name,language,status,category,components')
      first.searchParams.set('limit', String(TEMPLATE_PAGE_SIZE))
      const templates: GraphTemplate[] = []
      let next: string | undefined = first.toString()
      for (let page = 0; next && page < TEMPLATE_PAGES; page++) {
        const parsed = TemplatePage.safeParse(await request(next, accessToken))
        if (!parsed.success) throw invalidResponse('a template page')
        templates.push(...parsed.data.data)
        next = parsed.data.paging?.next
        // The token goes with every page: a next link elsewhere than the Graph API is not followed.
        if (next && URL.parse(next)?.origin !== base.origin) throw invalidResponse('a next page on another host')
      }
      return templates
    },

    /**
     * Where a received media file is (a URL valid for a few minutes, fetched with the same token), its type, size and
     * sha256. The URL must be HTTPS (or on the Graph API's own origin, a test's fake): the token goes with it.
     */
    async mediaInfo(mediaId: string, accessToken: string) {
      const parsed = MediaInfo.safeParse(await request(`${root}/${graphId(mediaId, 'media id')}`, accessToken))
      const url = parsed.success ? URL.parse(parsed.data.url) : null
      if (!parsed.success || !url) throw invalidResponse('media without a URL')
      if (url.protocol !== 'https:' && url.origin !== base.origin)
        throw invalidResponse('a media URL that is not HTTPS')
      return {
        url: url.toString(),
        mime: parsed.data.mime_type ?? null,
        sha256: parsed.data.sha256?.toLowerCase() ?? null,
        bytes: parsed.data.file_size ?? null,
      }
    },

    /** A media file's bytes (`mediaInfo`'s URL, with the token), at most `maxBytes`: `truncated` when larger. */
    async download(url: string, accessToken: string, maxBytes: number) {
      const signal = AbortSignal.timeout(Math.max(timeoutMs, 60_000))
      try {
        const res = await fetchImpl(url, {
          headers: { authorization: `Bearer ${accessToken}` },
          // The token goes with the request: it is never carried to wherever a redirect points.
          redirect: 'error',
          signal,
        })
        if (!res.ok) throw await failureOf(res)
        return await readBytes(res, maxBytes)
      } catch (err) {
        if (err instanceof SendFailure) throw err
        if (signal.aborted) throw new SendFailure('retry_later', 'whatsapp.timeout', 'The media download timed out.')
        const cause = (err as { cause?: { code?: string } }).cause?.code
        throw new SendFailure('retry_later', 'whatsapp.network', clip('Could not download the media', cause))
      }
    },

    /** A Cloud number's display number and verified name; reading them proves the token may use the number. */
    async verifyNumber(phoneNumberId: string, accessToken: string) {
      const url = new URL(`${root}/${graphId(phoneNumberId, 'phone number id')}`)
      url.searchParams.set('fields', 'display_phone_number,verified_name')
      const parsed = NumberFields.safeParse(await request(url.toString(), accessToken))
      if (!parsed.success) throw invalidResponse("a number's fields")
      return { displayPhoneNumber: parsed.data.display_phone_number, verifiedName: parsed.data.verified_name }
    },
  }
}
export type GraphClient = ReturnType<typeof createGraphClient>
