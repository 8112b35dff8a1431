import { z } from 'zod'
import { Timestamp, page } from './common.ts'

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
 * - GET  /api/inbox/threads                  the client's threads, latest activity first (X-Client-ID; viewers)
 * - GET  /api/inbox/events                   live: SSE `ready`, `change` ({ threadIds } | { all }), `resync`
 * - GET  /api/inbox/threads/:id/messages     a thread's messages, newest first (viewers)
 * - POST /api/inbox/threads/:id/messages     send a text (members; plan inboxMessagesPerMonth) → 201 (200 on a retry)
 * - POST /api/inbox/threads/:id/read         mark the thread read (members)
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
