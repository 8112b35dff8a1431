import { z } from 'zod'
import { Name, Timestamp, page } from './common.ts'

/**
 * WhatsApp numbers of a client (ADR 0005): paired by QR through WhatsApp Web (`qr`) or connected through Meta's Cloud
 * API (`cloud`). A number is never deleted (its messages point at it): logging out keeps it, with its history.
 */

export const ChannelKind = z.enum(['qr', 'cloud'])
export const ChannelStatus = z
  .enum(['pending_qr', 'connecting', 'connected', 'needs_qr', 'logged_out', 'failed'])
  .meta({
    description:
      '`pending_qr`: waiting for its first scan; `connecting`; `connected`; `needs_qr`: WhatsApp logged it out, scan ' +
      'again; `logged_out`: logged out here; `failed`: stopped after repeated errors (see statusReason)',
  })
export type ChannelStatus = z.infer<typeof ChannelStatus>

/** Meta's ids are digit strings (int64): kept as strings. */
const GraphId = z.string().regex(/^\d{5,20}$/, 'Use the numeric id Meta shows (digits only).')

export const ChannelCreate = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('qr'), name: Name }),
    z.strictObject({
      kind: z.literal('cloud'),
      name: Name,
      /** The Cloud API's phone number id (WhatsApp Manager → API setup), not the phone number itself. */
      phoneNumberId: GraphId,
      /** A system user's permanent access token with `whatsapp_business_messaging`; sealed, never shown again. */
      accessToken: z.string().trim().min(20).max(1000),
      /** The WhatsApp Business Account id, to list its message templates. */
      businessAccountId: GraphId.optional(),
    }),
  ])
  .meta({ id: 'ChannelCreate' })
export type ChannelCreate = z.infer<typeof ChannelCreate>

/**
 * A number's auto-reply (issue 13 §7): when on, each message a contact writes is answered by the agent (one of the
 * client's agents; null: the built-in customer-support agent), metered like a suggested reply, until a person writes
 * in that conversation (human takeover pauses it there).
 */
export const ChannelAutoReplyBody = z
  .strictObject({
    enabled: z.boolean(),
    agentId: z.string().trim().min(1).max(100).nullable(),
  })
  .meta({ id: 'ChannelAutoReplyBody' })
export type ChannelAutoReplyBody = z.infer<typeof ChannelAutoReplyBody>
export const ChannelAutoReplyDto = z
  .object({ enabled: z.boolean(), agentId: z.string().nullable() })
  .meta({ id: 'ChannelAutoReply' })
export type ChannelAutoReplyDto = z.infer<typeof ChannelAutoReplyDto>

export const ChannelDto = z
  .object({
    id: z.string(),
    clientId: z.string(),
    name: z.string(),
    kind: ChannelKind,
    status: ChannelStatus,
    /** Why it is in this status, in words (a failure, a logout), when there is something to say. */
    statusReason: z.string().nullable(),
    /** The number as WhatsApp shows it, once known (after pairing, or from Meta for a Cloud number). */
    phone: z.string().nullable(),
    cloud: z
      .object({ phoneNumberId: z.string(), businessAccountId: z.string().nullable(), tokenHint: z.string() })
      .nullable(),
    lastSeenAt: Timestamp.nullable(),
    /** Whether an agent answers the number's contacts by itself (off by default; see ChannelAutoReply). */
    autoReply: ChannelAutoReplyDto,
    createdAt: Timestamp,
  })
  .meta({ id: 'Channel' })
export type ChannelDto = z.infer<typeof ChannelDto>
export const ChannelPage = page(ChannelDto)

export const ChannelQr = z
  .object({
    status: ChannelStatus,
    statusReason: z.string().nullable(),
    /** The QR's text (what the phone reads), while the number waits for a scan; null otherwise. */
    qr: z.string().nullable(),
    /** The same QR as an SVG document, to draw. */
    svg: z.string().nullable(),
    /** About when WhatsApp shows the next one (read again then). */
    expiresAt: Timestamp.nullable(),
    /** The code to type on the phone instead, once asked for. */
    pairingCode: z.string().nullable(),
    /** Whether the number is kept running for a scan now (false: ask for a new QR). */
    waiting: z.boolean(),
  })
  .meta({ id: 'ChannelQr' })
export type ChannelQr = z.infer<typeof ChannelQr>

export const PairingCodeRequest = z
  .strictObject({
    /** The phone's number in international form, digits only (country code first, no `+`). */
    phone: z.string().regex(/^\d{6,15}$/, 'Digits only, country code first (e.g. 40712345678).'),
  })
  .meta({ id: 'PairingCodeRequest' })
/** A message template of a Cloud number's WhatsApp Business Account, as Meta lists it. */
export const ChannelTemplateDto = z
  .object({
    name: z.string(),
    language: z.string(),
    status: z.string(),
    category: z.string(),
    components: z.array(z.unknown()),
  })
  .meta({ id: 'ChannelTemplate' })
export const ChannelTemplateList = z.object({ items: z.array(ChannelTemplateDto) }).meta({ id: 'ChannelTemplateList' })

/** A number's own sending limits; null returns to its kind's default. Never above the kind's maximum. */
export const ChannelLimitsBody = z
  .strictObject({
    perMinute: z.number().int().min(1).max(60_000).nullable().optional(),
    newContactsPerDay: z.number().int().min(0).max(1000).nullable().optional(),
  })
  .meta({ id: 'ChannelLimitsBody' })
export const ChannelLimitsDto = z
  .object({
    kind: ChannelKind,
    /** Sends a second its bucket refills with (the setting, bounded; or the kind's default). */
    perSecond: z.number(),
    burst: z.number(),
    /** First messages to new contacts a UTC day (QR numbers); null: no cap. */
    newContactsPerDay: z.number().int().nullable(),
  })
  .meta({ id: 'ChannelLimits' })

/**
 * Routes (the public contract of issue 13; the ones not listed here come with the session runtime):
 * - POST /api/channels                 add a number (X-Client-ID; admins; plan `channelNumbers`) → 201 Channel
 * - GET  /api/channels                 the client's numbers (X-Client-ID; viewers)                → ChannelPage
 * - GET  /api/channels/:id             one number (viewers)                                      → Channel
 * - POST /api/channels/:id/logout      log the number out here (admins): QR auth wiped            → Channel
 * - GET  /api/channels/:id/qr          a QR number's QR (text, SVG) and pairing code (viewers)    → ChannelQr
 * - POST /api/channels/:id/regenerate-qr  show a QR again (admins)                              → 202 Channel
 * - POST /api/channels/:id/pairing-code   a code to type on the phone instead (admins)          → { code }
 * - POST /api/channels/:id/backfill    ask the phone for older messages (QR; admins)              → 202
 * - GET  /api/channels/:id/templates   a Cloud number's message templates (viewers; 409 for QR)   → ChannelTemplateList
 * - PUT  /api/channels/:id/limits      the number's own sending limits (admins)                  → ChannelLimits
 * - PUT  /api/channels/:id/auto-reply  answer contacts with an agent of the client, or stop (admins; audited;
 *                                      422 channels.auto_reply_agent_unknown)                     → ChannelAutoReply
 */
