import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp, RunStatus, MessageStatus } from '../../platform/db/columns.ts'

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
  createdAt: Timestamp
  completedAt: NullableTimestamp
}

export type ChatRunsTable = {
  id: string
  conversationId: string
  clientId: string
  messageId: string
  status: RunStatus
  createdAt: Timestamp
  finishedAt: NullableTimestamp
  /** Touched every few seconds by the process writing the answer; null before its first beat. */
  heartbeatAt: NullableTimestamp
}

export type ChatEventsTable = {
  runId: string
  seq: number
  type: string
  data: ColumnType<Record<string, unknown>, string, never>
  createdAt: Timestamp
}

/** The tables the chat module owns: its handles are typed `Kysely<ChatTables>`. */
export type ChatTables = {
  conversations: ConversationsTable
  messages: MessagesTable
  chatRuns: ChatRunsTable
  chatEvents: ChatEventsTable
}

export type Conversation = Selectable<ConversationsTable>
export type Message = Selectable<MessagesTable>
