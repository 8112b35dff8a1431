import { z } from 'zod'
import { Id, PageQuery, Timestamp, page } from './common.ts'

/** The inbox (ADR 0005 §2): threads per (number, contact), messages in and out. Nothing here is ever deleted. */

export const InboxContactDto = z
  .object({
    id: z.string(),
    waId: z.string(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
  })
  .meta({ id: 'InboxContact' })

export const ThreadDto = z
  .object({
    id: z.string(),
    channelId: z.string(),
    contact: InboxContactDto,
    lastMessageAt: Timestamp,
    lastPreview: z.string(),
    unread: z.number().int(),
    assignedTo: z.string().nullable(),
    labels: z.array(z.string()),
    /** Whether its number's auto-reply is paused here (a person wrote in it, or paused it): resume to let it answer. */
    autoReplyPaused: z.boolean(),
    /** Until when a free-form reply may be sent (24 h after the contact's last message); null: a template is needed. */
    windowOpenUntil: Timestamp.nullable(),
  })
  .meta({ id: 'InboxThread' })
export type ThreadDto = z.infer<typeof ThreadDto>
export const ThreadPage = page(ThreadDto)

export const MessageStatus = z.enum(['received', 'queued', 'sent', 'delivered', 'read', 'failed'])
export const InboxMessageDto = z
  .object({
    id: z.string(),
    threadId: z.string(),
    direction: z.enum(['in', 'out']),
    fromMe: z.boolean(),
    type: z.string(),
    content: z.record(z.string(), z.unknown()),
    replyTo: z.string().nullable(),
    status: MessageStatus,
    statusAt: Timestamp,
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    /**
     * A media message's file: `pending` (being fetched), `stored` (read it at `url`), `too_large` (over the cap for its
     * kind, not fetched), `failed` (gone at WhatsApp, or not what it claimed to be). Null for other messages.
     */
    media: z
      .object({
        state: z.enum(['pending', 'stored', 'too_large', 'failed']),
        mime: z.string(),
        bytes: z.number().int().nullable(),
        url: z.string(),
      })
      .nullable(),
    at: Timestamp,
  })
  .meta({ id: 'InboxMessage' })
export type InboxMessageDto = z.infer<typeof InboxMessageDto>
export const InboxMessagePage = page(InboxMessageDto)

/**
 * Routes:
 * - GET  /api/inbox/threads                  the client's threads, latest activity first (X-Client-ID; viewers);
 *                                            filters q, assigned (me | none | a user id), unread, label, channelId
 * - GET  /api/inbox/events                   live: SSE `ready`, `change` ({ threadIds } | { all }), `resync`
 * - GET  /api/inbox/threads/:id              one thread, as the list shows it (viewers)
 * - GET  /api/inbox/threads/:id/messages     a thread's messages, newest first (viewers)
 * - GET  /api/inbox/messages/:id/media       a received media file's bytes (viewers; Range for audio and video)
 * - POST /api/inbox/threads/:id/messages     send a text or a template (members; plan inboxMessagesPerMonth) → 201
 *                                             (200 on a retry with the same clientMessageId); a person sending
 *                                             pauses the number's auto-reply in this thread (human takeover)
 * - POST /api/inbox/threads/:id/read         mark the thread read (members)
 * - PATCH /api/inbox/threads/:id             assign (a member of the workspace, or null) and label (members)
 * - GET  /api/inbox/threads/:id/notes        a thread's internal notes, newest first (viewers)
 * - POST /api/inbox/threads/:id/notes        add an internal note (members) → 201; notes are never deleted
 * - POST /api/inbox/threads/:id/suggest      a reply drafted by an agent of the client (members; metered) — not sent
 * - POST /api/inbox/threads/:id/auto-reply   { paused } pause or resume auto-reply in the thread (members; audited)
 *                                             → Thread
 * - GET  /api/webhooks/whatsapp              Meta's verification (hub.mode, hub.verify_token, hub.challenge)
 * - POST /api/webhooks/whatsapp              Cloud API events, verified with X-Hub-Signature-256 before parsing
 * - GET  /api/channels/dashboard             the client's numbers with their traffic and pacing (X-Client-ID; viewers)
 * - GET  /api/operator/outbox/dead           dead letters, newest first (X-Internal-Token)
 * - POST /api/operator/outbox/dead/:id/replay  queue a dead letter again (X-Internal-Token; idempotent, audited)
 */

/** The composer's id for a send: sending again with it answers the same message (a retry after a lost answer). */
const ClientMessageId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/)
  .optional()

/** A Cloud API message template by name and language, with its parameters as Meta's `components` take them. */
export const TemplateMessage = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'A template name is lowercase letters, digits and underscores.'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'A language code such as `en_US` or `ro`.'),
    components: z.array(z.record(z.string(), z.unknown())).max(20).optional(),
  })
  .meta({ id: 'TemplateMessage' })

/** Pause or resume a conversation's auto-reply (its number's setting stays as it is). */
export const ThreadAutoReplyBody = z.strictObject({ paused: z.boolean() }).meta({ id: 'ThreadAutoReplyBody' })

/** A text (within the 24-hour window) or a template (any time, Cloud numbers): one of them, never both. */
export const SendMessage = z
  .union([
    z.strictObject({ text: z.string().trim().min(1).max(4096), clientMessageId: ClientMessageId }),
    z.strictObject({ template: TemplateMessage, clientMessageId: ClientMessageId }),
  ])
  .meta({ id: 'SendMessage' })
export type SendMessage = z.infer<typeof SendMessage>

/** A label on a thread: trimmed, 1–32 characters, no control characters. */
export const ThreadLabel = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .regex(/^[^\p{Cc}]*$/u, 'A label has no control characters.')

/** What the list of threads may be narrowed to; every filter keeps the order and the cursor. */
export const ThreadListQuery = PageQuery.extend({
  /** The contact's name, phone or WhatsApp id, or a message's text (case-insensitive, literally: `%` and `_` too). */
  q: z.string().trim().max(100).optional(),
  /** `me`: assigned to the caller; `none`: unassigned; else a user id. */
  assigned: z.union([z.enum(['me', 'none']), Id]).optional(),
  unread: z.enum(['true', 'false']).optional(),
  label: ThreadLabel.optional(),
  channelId: Id.optional(),
})
export type ThreadListQuery = z.infer<typeof ThreadListQuery>

export const ThreadUpdate = z
  .strictObject({
    /** A member of the workspace, or null to unassign. */
    assignedTo: Id.nullable().optional(),
    /** The thread's labels, replacing those it had (duplicates kept once). */
    labels: z.array(ThreadLabel).max(20).optional(),
  })
  .refine((v) => v.assignedTo !== undefined || v.labels !== undefined, 'Send assignedTo or labels.')
  .meta({ id: 'InboxThreadUpdate' })
export type ThreadUpdate = z.infer<typeof ThreadUpdate>

export const InboxNoteDto = z
  .object({
    id: z.string(),
    threadId: z.string(),
    body: z.string(),
    authorId: z.string(),
    createdAt: Timestamp,
  })
  .meta({ id: 'InboxNote' })
export type InboxNoteDto = z.infer<typeof InboxNoteDto>
export const InboxNotePage = page(InboxNoteDto)

export const NoteCreate = z.strictObject({ body: z.string().trim().min(1).max(4000) }).meta({ id: 'InboxNoteCreate' })
export type NoteCreate = z.infer<typeof NoteCreate>

export const SuggestRequest = z
  .strictObject({
    /** An agent of the client (built-in or the workspace's own); the customer-support agent when absent. */
    agentId: z.string().min(1).max(64).optional(),
  })
  .meta({ id: 'InboxSuggestRequest' })
export type SuggestRequest = z.infer<typeof SuggestRequest>

export const SuggestedReplyDto = z.object({ text: z.string(), agentId: z.string() }).meta({ id: 'InboxSuggestedReply' })
export type SuggestedReplyDto = z.infer<typeof SuggestedReplyDto>
/** An outbound message the outbox set aside after its last attempt (failed; the operators may replay it). */
export const DeadMessageDto = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    clientId: z.string(),
    threadId: z.string(),
    channelId: z.string(),
    type: z.string(),
    attempts: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    status: MessageStatus,
    deadAt: Timestamp.nullable(),
    replayedAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'DeadMessage' })
export type DeadMessageDto = z.infer<typeof DeadMessageDto>
export const DeadMessagePage = page(DeadMessageDto)

/** Why an operator sends a dead letter again (kept in the audit log). */
export const ReplayBody = z.strictObject({ reason: z.string().trim().min(1).max(500) }).meta({ id: 'ReplayBody' })

/** One number on the dashboard: its status and what it sent and received, from the inbox's messages. */
export const ChannelDashboardItem = z
  .object({
    channelId: z.string(),
    name: z.string(),
    kind: z.enum(['qr', 'cloud']),
    status: z.string(),
    phone: z.string().nullable(),
    lastSeenAt: Timestamp.nullable(),
    lastInboundAt: Timestamp.nullable(),
    lastOutboundAt: Timestamp.nullable(),
    /** Outbound messages waiting to be sent. */
    queued: z.number().int(),
    /** Of the outbound messages queued in the last 24 hours: those that reached sent (or further), delivered (or read), read, failed. */
    sent24h: z.number().int(),
    delivered24h: z.number().int(),
    read24h: z.number().int(),
    failed24h: z.number().int(),
    /** Dead letters not replayed yet. */
    dead: z.number().int(),
    rate: z.object({
      /** The number's sending rate (its bucket's refill). */
      perSecond: z.number(),
      /** Sends it may make at once now. */
      tokens: z.number(),
      /** Throttled by the provider (130429) until then. */
      pausedUntil: Timestamp.nullable(),
    }),
  })
  .meta({ id: 'ChannelDashboardItem' })
export const ChannelDashboard = z.object({ items: z.array(ChannelDashboardItem) }).meta({ id: 'ChannelDashboard' })
export type ChannelDashboard = z.infer<typeof ChannelDashboard>
