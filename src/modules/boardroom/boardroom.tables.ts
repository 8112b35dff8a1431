import type { ColumnType, Generated } from 'kysely'
import type { Timestamp, NullableTimestamp, RunStatus, MessageStatus } from '../../platform/db/columns.ts'

export type MeetingsTable = {
  id: string
  workspaceId: string
  clientId: string
  topic: string
  agentIds: ColumnType<string[], string, string>
  rounds: number
  status: RunStatus
  summary: Generated<string>
  createdBy: string
  requestId: string | null
  createdAt: Timestamp
  finishedAt: NullableTimestamp
  /** Touched every few seconds by the process running the meeting; null before its first beat. */
  heartbeatAt: NullableTimestamp
}

export type MeetingTurnsTable = {
  id: string
  meetingId: string
  clientId: string
  round: number
  position: number
  speaker: string
  content: Generated<string>
  status: MessageStatus
  modelId: string
  usage: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  createdAt: Timestamp
}

export type MeetingEventsTable = {
  meetingId: string
  seq: number
  type: string
  data: ColumnType<Record<string, unknown>, string, never>
  createdAt: Timestamp
}

/** The tables the boardroom module owns: its handles are typed `Kysely<BoardroomTables>`. */
export type BoardroomTables = {
  meetings: MeetingsTable
  meetingTurns: MeetingTurnsTable
  meetingEvents: MeetingEventsTable
}
