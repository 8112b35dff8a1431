import type { ColumnType, Selectable } from 'kysely'
import type { NullableTimestamp, Timestamp } from '../db/columns.ts'

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed'

/** One long-running piece of work (a chat answer, a meeting, …): its state, heartbeat and end. */
export type RunsTable = {
  id: string
  /** What the run is: 'chat', 'meeting', … (each kind registers its finaliser). */
  kind: string
  workspaceId: string
  /** What it belongs to in its module (a conversation, a meeting); at most one running run per kind and subject. */
  subjectId: string
  status: RunStatus
  error: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  /** Touched every few seconds by the process writing the run; null before its first beat. */
  heartbeatAt: NullableTimestamp
  createdAt: Timestamp
  finishedAt: NullableTimestamp
}

/** The persisted event log of a run, replayed after Last-Event-ID. */
export type RunEventsTable = {
  runId: string
  seq: number
  type: string
  data: ColumnType<Record<string, unknown>, string, never>
  createdAt: Timestamp
}

export type RunsTables = { runs: RunsTable; runEvents: RunEventsTable }
export type Run = Selectable<RunsTable>
