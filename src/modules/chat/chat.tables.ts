import type { ConversationsTable, MessagesTable } from '../../platform/db/schema.ts'

export type {
  Conversation,
  ConversationsTable,
  Message,
  MessagesTable,
  MessageStatus,
} from '../../platform/db/schema.ts'

/** The tables chat owns; a run's state and events are the run layer's (reached through its API). */
export type ChatTables = { conversations: ConversationsTable; messages: MessagesTable }
