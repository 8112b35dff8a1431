import type { ColumnType, Generated, Selectable } from 'kysely'
import type { NullableTimestamp, Timestamp } from '../../platform/db/columns.ts'
import type { MediaSource, MessageContent } from '../channels/driver.ts'

type Json<T> = ColumnType<T, string, string>
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>

/** A person on WhatsApp as a client's numbers know them (the CRM links its contacts to these). Never deleted. */
export type InboxContactsTable = {
  id: string
  workspaceId: string
  clientId: string
  /** The chat id WhatsApp uses: phone digits or a LID. Unique per client. */
  waId: string
  lid: string | null
  phone: string | null
  name: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/** One conversation: a number and a contact. Never deleted. */
export type InboxThreadsTable = {
  id: string
  workspaceId: string
  clientId: string
  channelId: string
  contactId: string
  lastMessageAt: Timestamp
  /** The last message the contact sent: the Cloud API's 24-hour window for free-form replies runs from it. */
  lastInboundAt: NullableTimestamp
  lastPreview: Generated<string>
  unread: Generated<number>
  assignedTo: string | null
  /** When a person took the thread over (or paused it): its number's auto-reply stays quiet here until resumed. */
  autoReplyPausedAt: NullableTimestamp
  /** Trimmed labels, 1–32 characters each, at most 20 (jsonb array). */
  labels: ColumnType<string[], string | undefined, string>
  createdAt: Generated<Date>
}

export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed'

/** A message in or out. Never deleted; its status only moves forward (queued < sent < delivered < read; failed ends). */
export type InboxMessagesTable = {
  id: string
  workspaceId: string
  clientId: string
  threadId: string
  channelId: string
  direction: 'in' | 'out'
  /** The provider's id (unique per number, chat and direction): a message delivered twice is stored once. */
  providerMessageId: string | null
  chatId: string
  /** Sent from another device of the number's own account (a QR number's phone, the Business app). */
  fromMe: boolean
  type: MessageContent['type']
  content: Json<MessageContent>
  replyTo: string | null
  status: MessageStatus
  statusAt: Timestamp
  error: NullableJson<{ code: string; message: string }>
  sentBy: string | null
  /** The composer's own id for a send it may retry (one message per thread and id). */
  clientMessageId: string | null
  /** Send attempts made (the outbox's). */
  attempts: Generated<number>
  /** Outbound and queued: when the dispatcher may claim it next (a claim pushes it by the lease). */
  nextAttemptAt: NullableTimestamp
  /**
   * The attempt whose outcome is not known (written and committed before the provider is called; cleared by a
   * definite answer): a retry waits for the status echo before sending again.
   */
  sendStartedAt: NullableTimestamp
  /** Until when a retry waits for the status echo of an attempt whose outcome is not known. */
  echoWaitUntil: NullableTimestamp
  /** The process that claimed the current attempt (diagnostics). */
  claimedBy: string | null
  /** Set aside after the last attempt (status failed): the operators see it and may replay it. */
  deadAt: NullableTimestamp
  replayedAt: NullableTimestamp
  /** The first message to this chat from this number (counted against a QR number's daily new contacts). */
  newContact: Generated<boolean>
  at: Timestamp
  createdAt: Generated<Date>
}

/** What the team says about a conversation, never sent to the contact. Never deleted. */
export type InboxNotesTable = {
  id: string
  workspaceId: string
  clientId: string
  threadId: string
  authorId: string
  body: string
  createdAt: Generated<Date>
}

/** The PostgreSQL token bucket of a number (without Redis). */
export type InboxSendBucketsTable = {
  channelId: string
  tokens: number
  at: Timestamp
  pausedUntil: NullableTimestamp
}

/** New contacts a number wrote to, per UTC day. */
export type InboxNewContactsTable = {
  channelId: string
  day: string
  count: number
}

export type MediaState = 'pending' | 'stored' | 'too_large' | 'failed'

/** A received media message's file, stored with it (fetched after the message, within a cap per kind). Never deleted. */
export type InboxMediaTable = {
  messageId: string
  workspaceId: string
  clientId: string
  channelId: string
  state: MediaState
  /** What the file is: the provider's word, else the message's. */
  mime: string
  /** Its size: the provider's declaration until stored, then the stored bytes (bigint: providers declare up to 2 GB). */
  bytes: ColumnType<bigint | null, number | null, number | null>
  sha256: string | null
  data: ColumnType<Uint8Array | null, Buffer | null, Buffer | null>
  /** The driver's reference to fetch it (`MediaSource`). */
  source: Json<MediaSource>
  attempts: Generated<number>
  error: NullableJson<{ code: string; message: string }>
  createdAt: Generated<Date>
  storedAt: NullableTimestamp
}

/** The draft an auto reply paid for, by the inbound message it answers (kept before it is queued). */
export type InboxAutoReplyDraftsTable = { messageId: string; text: string; createdAt: Generated<Date> }

export type InboxTables = {
  inboxAutoReplyDrafts: InboxAutoReplyDraftsTable
  inboxMedia: InboxMediaTable
  inboxContacts: InboxContactsTable
  inboxThreads: InboxThreadsTable
  inboxMessages: InboxMessagesTable
  inboxNotes: InboxNotesTable
  inboxSendBuckets: InboxSendBucketsTable
  inboxNewContacts: InboxNewContactsTable
}
export type ThreadRow = Selectable<InboxThreadsTable>
export type MessageRow = Selectable<InboxMessagesTable>
export type NoteRow = Selectable<InboxNotesTable>
