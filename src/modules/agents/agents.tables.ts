import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp } from '../../platform/db/columns.ts'

export type AgentsTable = {
  id: string
  workspaceId: string
  name: string
  /** A built-in design's key or `initials` (contracts/agents.ts, AgentAvatarKey). */
  avatar: Generated<string>
  description: Generated<string>
  instructions: string
  modelId: string | null
  tools: ColumnType<string[], string, string>
  createdBy: string
  archivedAt: NullableTimestamp
  createdAt: Timestamp
  updatedAt: Timestamp
}

export type AgentOverridesTable = {
  clientId: string
  agentId: string
  instructions: Generated<string>
  modelId: string | null
  updatedBy: string
  updatedAt: Timestamp
}

/** A custom agent's uploaded picture (PNG, JPEG or WebP, read from its bytes). */
export type AgentAvatarsTable = {
  agentId: string
  mime: string
  data: ColumnType<Uint8Array, Buffer, Buffer>
  sha256: string
  updatedBy: string
  updatedAt: Timestamp
}

/** The tables the agents module owns: its handles are typed `Kysely<AgentsTables>`. */
export type AgentsTables = {
  agents: AgentsTable
  agentOverrides: AgentOverridesTable
  agentAvatars: AgentAvatarsTable
}

export type AgentRow = Selectable<AgentsTable>
