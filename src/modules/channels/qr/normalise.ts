import type { MessageUserReceiptUpdate, proto, WAMessage, WAMessageUpdate } from 'baileys'
import type {
  DeliveryStatus,
  InboundMessage,
  MediaKind,
  MediaSource,
  MessageContent,
  Party,
  StatusUpdate,
} from '../driver.ts'

// What a QR number's Baileys socket emits, turned into the drivers' shapes (ADR 0005 §2) without I/O and without
// loading Baileys: its types are read here, never its code.

/** Baileys' `WAMessageStatus` (`proto.WebMessageInfo.Status`) as delivery statuses; PENDING says nothing new. */
const STATUSES: Record<number, DeliveryStatus> = { 0: 'failed', 2: 'sent', 3: 'delivered', 4: 'read', 5: 'read' }

/** Envelopes around the real content (disappearing, view-once, captioned documents), as Baileys unwraps them. */
const ENVELOPES = [
  'ephemeralMessage',
  'viewOnceMessage',
  'viewOnceMessageV2',
  'viewOnceMessageV2Extension',
  'documentWithCaptionMessage',
  'editedMessage',
  'associatedChildMessage',
] as const

type QrMediaType = Extract<MediaSource, { provider: 'qr' }>['mediaType']
const MEDIA: Record<string, { media: MediaKind; mime: string; keys: QrMediaType }> = {
  imageMessage: { media: 'image', mime: 'image/jpeg', keys: 'image' },
  videoMessage: { media: 'video', mime: 'video/mp4', keys: 'video' },
  ptvMessage: { media: 'video', mime: 'video/mp4', keys: 'ptv' },
  audioMessage: { media: 'audio', mime: 'audio/ogg; codecs=opus', keys: 'audio' },
  documentMessage: { media: 'document', mime: 'application/octet-stream', keys: 'document' },
  stickerMessage: { media: 'sticker', mime: 'image/webp', keys: 'sticker' },
}

/** Bytes of a proto field (a Uint8Array, or base64 in a message's JSON form) as base64; null when absent. */
const base64Of = (value: unknown): string | null => {
  if (value instanceof Uint8Array) return value.length ? Buffer.from(value).toString('base64') : null
  return typeof value === 'string' && value.length ? value : null
}

/** Where a media message's encrypted file is and the key that opens it; null when the message lacks them. */
const mediaSourceOf = (b: proto.Message.IDocumentMessage, keys: QrMediaType): MediaSource | null => {
  const mediaKey = base64Of(b.mediaKey)
  if (!b.directPath || !mediaKey) return null
  return {
    provider: 'qr',
    mediaType: keys,
    directPath: b.directPath,
    mediaKey,
    fileEncSha256: base64Of(b.fileEncSha256),
    fileSha256: base64Of(b.fileSha256),
  }
}

/** Keys of a message that carry no content of their own (delivered alongside it). */
const NOT_CONTENT = new Set(['messageContextInfo', 'senderKeyDistributionMessage'])

/** A protobuf integer as Baileys hands it: a number, a `Long` (history, 64-bit fields), or its JSON form. */
export const toNumber = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string') return /^\d{1,19}$/.test(value) ? Number(value) : null
  if (value && typeof value === 'object') {
    const long = value as { low?: unknown; high?: unknown; toNumber?: unknown }
    if (typeof long.toNumber === 'function') return (long.toNumber as () => number).call(value)
    if (typeof long.low === 'number' && typeof long.high === 'number') return long.high * 2 ** 32 + (long.low >>> 0)
  }
  return null
}

const dateOf = (seconds: unknown, fallback: Date) => {
  const n = toNumber(seconds)
  return n && n > 0 ? new Date(n * 1000) : fallback
}

/** `40712345678:12@s.whatsapp.net` → its user (`40712345678`, device and agent dropped) and server. */
export const decodeJid = (jid: string | null | undefined) => {
  const at = jid?.lastIndexOf('@') ?? -1
  if (!jid || at <= 0) return null
  const user = jid.slice(0, at).split(':')[0]!.split('_')[0]!
  return user ? { user, server: jid.slice(at + 1) } : null
}
const isPhone = (server: string) => server === 's.whatsapp.net' || server === 'c.us' || server === 'hosted'
const isLid = (server: string) => server === 'lid' || server === 'hosted.lid'

/** A one-to-one chat's WhatsApp id as the drivers name it: phone digits, or the LID (`…@lid`); null for the rest. */
export const waIdOf = (jid: string | null | undefined) => {
  const d = decodeJid(jid)
  if (!d) return null
  if (isPhone(d.server)) return d.user
  return isLid(d.server) ? `${d.user}@lid` : null
}

/** Phone digits of our own account from `sock.user.id` (`40712345678:12@s.whatsapp.net`). */
export const phoneOf = (userId: string | null | undefined) => {
  const d = decodeJid(userId)
  return d && isPhone(d.server) ? d.user : null
}

/**
 * The other party of a one-to-one chat; null for groups, status broadcasts, broadcast lists and newsletters (not
 * handled yet). A LID chat names the phone in `remoteJidAlt` when WhatsApp shares it; on a message we sent from another
 * device that field is our own number, so it is not read there.
 */
const partyOf = (m: WAMessage): Party | null => {
  const chat = decodeJid(m.key.remoteJid)
  if (!chat) return null
  const fromMe = Boolean(m.key.fromMe)
  const alt = fromMe ? null : decodeJid(m.key.remoteJidAlt)
  // The push name on our own messages is ours, not the other party's.
  const name = fromMe ? null : m.pushName || null
  if (isPhone(chat.server))
    return { waId: chat.user, phone: chat.user, lid: alt && isLid(alt.server) ? `${alt.user}@lid` : null, name }
  if (isLid(chat.server)) {
    const lid = `${chat.user}@lid`
    return { waId: lid, lid, phone: alt && isPhone(alt.server) ? alt.user : null, name }
  }
  return null
}

const unwrap = (message: proto.IMessage) => {
  let m = message
  for (let i = 0; i < 5; i++) {
    const envelope = ENVELOPES.map((k) => m[k]).find((e) => e?.message)
    if (!envelope?.message) break
    m = envelope.message
  }
  return m
}

type AnyContent = { contextInfo?: proto.IContextInfo | null } & Record<string, unknown>

/** The message's content, or null for what is no message to show (protocol traffic, sender keys, empty stubs). */
const contentOf = (
  message: proto.IMessage,
): { content: MessageContent; replyTo: string | null; mediaSource?: MediaSource | null } | null => {
  const m = unwrap(message) as Record<string, unknown>
  const kinds = Object.keys(m).filter((k) => m[k] !== null && m[k] !== undefined && !NOT_CONTENT.has(k))
  const kind = kinds.find((k) => k === 'conversation' || k.includes('Message'))
  if (!kind || kind === 'protocolMessage') return null
  const body = (typeof m[kind] === 'object' ? m[kind] : {}) as AnyContent
  const replyTo = body.contextInfo?.stanzaId || null
  const text = (value: unknown) => ({ content: { type: 'text', text: String(value ?? '') } as const, replyTo })
  const media = MEDIA[kind]
  if (kind === 'conversation') return text(m.conversation)
  if (kind === 'extendedTextMessage') return text(body.text)
  if (media) {
    const b = body as proto.Message.IDocumentMessage
    return {
      content: {
        type: 'media',
        media: media.media,
        mime: b.mimetype || media.mime,
        caption: b.caption || null,
        fileName: b.fileName || null,
        bytes: toNumber(b.fileLength),
      },
      replyTo,
      mediaSource: mediaSourceOf(b, media.keys),
    }
  }
  if (kind === 'locationMessage') {
    const b = body as proto.Message.ILocationMessage
    const latitude = toNumber(b.degreesLatitude)
    const longitude = toNumber(b.degreesLongitude)
    if (latitude === null || longitude === null) return { content: { type: 'unsupported', kind }, replyTo }
    return {
      content: { type: 'location', latitude, longitude, name: b.name || null, address: b.address || null },
      replyTo,
    }
  }
  if (kind === 'reactionMessage') {
    const b = body as proto.Message.IReactionMessage
    // An empty emoji is a reaction taken back.
    if (!b.key?.id) return { content: { type: 'unsupported', kind }, replyTo }
    return { content: { type: 'reaction', emoji: b.text ?? '', targetProviderId: b.key.id }, replyTo: null }
  }
  // Taps on buttons and list rows read as what the person chose, as the Cloud driver reads them.
  if (kind === 'buttonsResponseMessage' || kind === 'templateButtonReplyMessage')
    return body.selectedDisplayText
      ? text(body.selectedDisplayText)
      : { content: { type: 'unsupported', kind }, replyTo }
  if (kind === 'listResponseMessage')
    return body.title ? text(body.title) : { content: { type: 'unsupported', kind }, replyTo }
  return { content: { type: 'unsupported', kind }, replyTo }
}

/**
 * A message from `messages.upsert` as an `InboundMessage`, or null when it is none to hand over: groups, status
 * broadcasts, chats with ourselves, protocol traffic, and stubs without content (a message that failed to decrypt
 * arrives as a stub first and again, under the same id, once Baileys has it: handing the stub over would make the
 * real one look like a duplicate).
 */
export const inboundOf = (m: WAMessage, ownUsers: (string | null | undefined)[], now: Date): InboundMessage | null => {
  if (!m.key?.id || !m.message) return null
  const party = partyOf(m)
  if (!party) return null
  const own = new Set(ownUsers.map((u) => decodeJid(u)?.user).filter(Boolean))
  if (own.has(decodeJid(m.key.remoteJid)?.user)) return null
  const found = contentOf(m.message)
  if (!found) return null
  return {
    providerMessageId: m.key.id,
    party,
    fromMe: Boolean(m.key.fromMe),
    at: dateOf(m.messageTimestamp, now),
    content: found.content,
    replyTo: found.replyTo,
    ...(found.mediaSource ? { mediaSource: found.mediaSource } : {}),
  }
}

/**
 * `messages.update` as delivery statuses of messages this number sent; other updates (edits, stubs, our own devices
 * reading what we received) are not statuses.
 */
export const statusesOf = (updates: WAMessageUpdate[], now: Date): StatusUpdate[] =>
  updates.flatMap((u) => {
    const code = u.update?.status
    const status = typeof code === 'number' ? STATUSES[code] : undefined
    if (!status || !u.key?.fromMe || !u.key.id) return []
    const params = (u.update.messageStubParameters ?? []) as unknown[]
    return [
      {
        providerMessageId: u.key.id,
        status,
        at: dateOf(u.update.messageTimestamp, now),
        recipient: waIdOf(u.key.remoteJid),
        error:
          status === 'failed'
            ? { code: String(params[0] ?? 'unknown'), message: String(params[1] ?? 'WhatsApp refused the message.') }
            : null,
      },
    ]
  })

/** `message-receipt.update` (per-person receipts, which Baileys emits for groups and broadcasts) as statuses. */
export const receiptStatusesOf = (updates: MessageUserReceiptUpdate[], now: Date): StatusUpdate[] =>
  updates.flatMap(({ key, receipt }) => {
    if (!key?.fromMe || !key.id || !receipt) return []
    const read = receipt.readTimestamp ?? receipt.playedTimestamp
    const status: DeliveryStatus | null = read ? 'read' : receipt.receiptTimestamp ? 'delivered' : null
    if (!status) return []
    const at = dateOf(read ?? receipt.receiptTimestamp, now)
    return [{ providerMessageId: key.id, status, at, recipient: waIdOf(receipt.userJid) ?? receipt.userJid ?? null }]
  })
