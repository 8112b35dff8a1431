// What a WhatsApp driver (QR through Baileys, or Meta's Cloud API) hands the rest of Camarad, and what it is asked to
// send: the shapes every driver normalises to (ADR 0005 §2). Nothing here knows a table.

export type ChannelKind = 'qr' | 'cloud'
export type ChannelStatus = 'pending_qr' | 'connecting' | 'connected' | 'needs_qr' | 'logged_out' | 'failed'

/** The other party of a chat as the provider names it: its WhatsApp id, and what else is known of it. */
export type Party = {
  /** The chat's WhatsApp id: phone digits (`40712345678`) or, for LID-first contacts, the LID (`…@lid`). */
  waId: string
  /** The LID when known (QR numbers see LIDs first; the phone number is mapped when WhatsApp shares it). */
  lid?: string | null
  /** E.164 digits without `+`, when known. */
  phone?: string | null
  /** The name the person set on WhatsApp (push name / profile name). */
  name?: string | null
}

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker'

export type MessageContent =
  | { type: 'text'; text: string }
  | {
      type: 'media'
      media: MediaKind
      mime: string
      caption?: string | null
      fileName?: string | null
      /** Size in bytes, when the provider says. */
      bytes?: number | null
      /** The provider's handle to fetch it later (Cloud: media id). */
      providerMediaId?: string | null
    }
  | { type: 'location'; latitude: number; longitude: number; name?: string | null; address?: string | null }
  | { type: 'reaction'; emoji: string; targetProviderId: string }
  /** A Cloud API message template (sent from Camarad; allowed outside the 24-hour window). */
  | { type: 'template'; name: string; language: string; components?: unknown[] }
  /** A message type Camarad does not render (kept with its kind, never dropped). */
  | { type: 'unsupported'; kind: string }

/** A message a number received, or sent from another device of the same account (`fromMe`), normalised. */
export type InboundMessage = {
  /** The provider's id of the message (Cloud: `wamid.…`; QR: the message key id). Unique per number and chat. */
  providerMessageId: string
  party: Party
  fromMe: boolean
  at: Date
  content: MessageContent
  /** The provider id of the message this one replies to. */
  replyTo?: string | null
  /** Camarad's id of a message it sent itself, when the driver recognises its echo (QR: our own send, from Baileys). */
  ourId?: string | null
  /** From a history sync (a backfill, the phone's recent chats at pairing): stored, but not counted as unread. */
  history?: boolean
  /** Where a media message's bytes are fetched from (the driver's own reference; never shown). */
  mediaSource?: MediaSource | null
}

/**
 * How a driver fetches a media message's bytes later: a Cloud media id (Graph answers a short-lived URL), or a QR
 * message's encrypted file on WhatsApp's media servers (`directPath`) with the key that opens it and the hashes that
 * prove it (base64). `mediaType` is WhatsApp's name for the key derivation (image, video, ptv, audio, document, sticker).
 */
export type MediaSource =
  | { provider: 'cloud'; id: string }
  | {
      provider: 'qr'
      mediaType: 'image' | 'video' | 'ptv' | 'audio' | 'document' | 'sticker'
      directPath: string
      mediaKey: string
      fileEncSha256: string | null
      fileSha256: string | null
    }

/** Delivery statuses only move forward: queued < sent < delivered < read; failed is terminal. */
export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed'
export type StatusUpdate = {
  providerMessageId: string
  status: DeliveryStatus
  at: Date
  /** The recipient's WhatsApp id, when the provider says. */
  recipient?: string | null
  /**
   * The id Camarad sent the message under (`channels.send`'s `ourId`), when the provider echoes it back (Cloud:
   * `biz_opaque_callback_data`): it ties a status to our message even when the send's own answer was lost.
   */
  ourId?: string | null
  error?: { code: string; message: string } | null
}

export type Outgoing = {
  /** The recipient's WhatsApp id (phone digits or LID). */
  to: string
  content:
    | { type: 'text'; text: string; previewUrl?: boolean }
    | { type: 'template'; name: string; language: string; components?: unknown[] }
    | { type: 'reaction'; emoji: string; targetProviderId: string }
  replyTo?: string | null
}

/**
 * Why a send failed, as the outbox acts on it: `retry_later` (throughput, transient), `pace_recipient` (too many to
 * this person: delay that recipient only), `needs_template` (outside the 24-hour window), `permanent` (do not retry).
 */
export type SendFailureKind = 'retry_later' | 'pace_recipient' | 'needs_template' | 'permanent'
export class SendFailure extends Error {
  readonly kind: SendFailureKind
  readonly code: string
  readonly retryAfterMs: number | undefined
  constructor(kind: SendFailureKind, code: string, message: string, retryAfterMs?: number) {
    super(message)
    this.kind = kind
    this.code = code
    this.retryAfterMs = retryAfterMs
  }
}

/**
 * Why a media file could not be fetched: `too_large` (over the cap for its kind: never fetched again), `failed` (gone,
 * expired, or not what the provider said it is: never fetched again), `retry_later` (the network, the provider's load).
 */
export type MediaFailureKind = 'too_large' | 'failed' | 'retry_later'
export class MediaFailure extends Error {
  readonly kind: MediaFailureKind
  readonly code: string
  /** The size the provider declared or that was read past the cap, when known. */
  readonly bytes: number | null
  constructor(kind: MediaFailureKind, code: string, message: string, bytes: number | null = null) {
    super(message)
    this.kind = kind
    this.code = code
    this.bytes = bytes
  }
}
