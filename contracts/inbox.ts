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
 * - POST /api/inbox/threads/:id/messages     send a text (members; plan inboxMessagesPerMonth) → 201 (200 on a retry)
 * - POST /api/inbox/threads/:id/read         mark the thread read (members)
 * - PATCH /api/inbox/threads/:id             assign (a member of the workspace, or null) and label (members)
 * - GET  /api/inbox/threads/:id/notes        a thread's internal notes, newest first (viewers)
 * - POST /api/inbox/threads/:id/notes        add an internal note (members) → 201; notes are never deleted
 * - POST /api/inbox/threads/:id/suggest      a reply drafted by an agent of the client (members; metered) — not sent
 * - GET  /api/webhooks/whatsapp              Meta's verification (hub.mode, hub.verify_token, hub.challenge)
 * - POST /api/webhooks/whatsapp              Cloud API events, verified with X-Hub-Signature-256 before parsing
 */

export const SendMessage = z
  .strictObject({
    text: z.string().trim().min(1).max(4096),
    /** The composer's id for this send: sending again with it answers the same message (a retry after a lost answer). */
    clientMessageId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/)
      .optional(),
  })
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
