import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp, MessageStatus } from '../../platform/db/columns.ts'

export type TurnStatus = MessageStatus

export type MeetingsTable = {
  id: string
  workspaceId: string
  clientId: string
  topic: string
  agentIds: ColumnType<string[], string, string>
  rounds: number
  summary: Generated<string>
  createdBy: string
  requestId: string | null
  createdAt: Timestamp
}

export type MeetingTurnsTable = {
  id: string
  meetingId: string
  clientId: string
  round: number
  position: number
  speaker: string
  content: Generated<string>
  status: TurnStatus
  modelId: string
  usage: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  createdAt: Timestamp
}

/** The tables the boardroom owns: its handles are typed `Kysely<BoardroomTables>`; a meeting's run state and events
 * are the run layer's, under the meeting's id. */
export type BoardroomTables = { meetings: MeetingsTable; meetingTurns: MeetingTurnsTable }
export type Meeting = Selectable<MeetingsTable>
