import type { Selectable } from 'kysely'
import type { MeetingsTable, MeetingTurnsTable } from '../../platform/db/schema.ts'

export type { MeetingsTable, MeetingTurnsTable, TurnStatus } from '../../platform/db/schema.ts'

/** The tables the boardroom owns; a meeting's run state and events are the run layer's, under the meeting's id. */
export type BoardroomTables = { meetings: MeetingsTable; meetingTurns: MeetingTurnsTable }
export type Meeting = Selectable<MeetingsTable>
