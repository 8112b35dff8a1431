import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp, MessageStatus } from '../../platform/db/columns.ts'

export type { MessageStatus } from '../../platform/db/columns.ts'

export type ConversationsTable = {
  id: string
  workspaceId: string
  clientId: string
  agentId: string
  title: Generated<string>
  pinned: Generated<boolean>
  archivedAt: NullableTimestamp
  createdBy: string
  lastMessageAt: Timestamp
  createdAt: Timestamp
}

export type MessagesTable = {
  id: string
  seq: Generated<bigint>
  conversationId: string
  clientId: string
  role: 'user' | 'assistant'
  content: Generated<string>
  parts: ColumnType<unknown[], string | undefined, string>
  status: MessageStatus
  agentId: string | null
  modelId: string | null
  usage: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  error: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  authorId: string | null
  requestId: string | null
  /** An answer's run (the run layer's row); null for questions. */
  runId: Generated<string | null>
  createdAt: Timestamp
  completedAt: NullableTimestamp
}

/** The tables chat owns: its handles are typed `Kysely<ChatTables>`; a run's state and events are the run layer's. */
export type ChatTables = { conversations: ConversationsTable; messages: MessagesTable }

export type Conversation = Selectable<ConversationsTable>
export type Message = Selectable<MessagesTable>
