import type { ColumnType, Generated, Selectable } from 'kysely'
import type { NullableTimestamp, Timestamp } from '../../platform/db/columns.ts'
import type { FlowGraph, FlowState, RunStatus, RunTrigger, StepError, StepStatus } from '../../../contracts/flows.ts'

/** A jsonb column: written as JSON text, read as the parsed value. */
type Json<T> = ColumnType<T, string, string>
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>
/** bigint columns (credits in micro-credits) are read as strings by both drivers and written as bigint or string. */
type BigintCol = ColumnType<string, bigint | string | number | undefined, bigint | string | number>

/** A client's automation: its editable draft and its current published version. Never deleted (runs point at it). */
export type FlowsTable = {
  id: string
  workspaceId: string
  clientId: string
  name: string
  description: Generated<string>
  draft: Json<FlowGraph>
  draftRevision: Generated<number>
  publishedVersionId: string | null
  state: ColumnType<FlowState, FlowState | undefined, FlowState>
  createdBy: string
  createdAt: Timestamp
  updatedAt: Timestamp
}

/** An immutable graph a run executes: a published version, or a test run's snapshot of the draft (`published` false). */
export type FlowVersionsTable = {
  id: string
  flowId: string
  workspaceId: string
  /** 1, 2, … for published versions; null for draft snapshots. */
  number: number | null
  graph: Json<FlowGraph>
  graphHash: string
  published: boolean
  createdBy: string
  createdAt: Timestamp
}

export type FlowRunsTable = {
  /** The run layer's run id (`run_…`): the run's log and live events live there. */
  id: string
  workspaceId: string
  clientId: string
  flowId: string
  versionId: string
  trigger: RunTrigger
  /** What started it, unique per flow: a webhook's Idempotency-Key, a schedule's minute, a parent's step key. */
  triggerKey: string | null
  actingUserId: string
  parentRunId: string | null
  parentStepKey: string | null
  status: RunStatus
  input: NullableJson<unknown>
  output: NullableJson<unknown>
  error: NullableJson<StepError>
  /** The process executing a slice of the run holds it until this time (extended at each checkpoint). */
  leaseOwner: string | null
  leaseUntil: NullableTimestamp
  /** A waiting run (delay, retry backoff, sub-flow) is continued at this time. */
  wakeAt: NullableTimestamp
  deadlineAt: Timestamp
  credits: BigintCol
  steps: Generated<number>
  createdAt: Timestamp
  finishedAt: NullableTimestamp
}

/** One execution of one node in one iteration: the checkpoint a resumed run reads. */
export type FlowStepsTable = {
  runId: string
  /** `<nodeId>#<iteration>` (iteration: loop indices joined by `.`, `0` outside loops). */
  nodeKey: string
  nodeId: string
  iteration: string
  /** Order in which steps started within the run. */
  seq: number
  status: StepStatus
  attempts: Generated<number>
  input: NullableJson<unknown>
  output: NullableJson<unknown>
  /** Payloads over the inline cap are stored once in flow_payloads and referenced here. */
  inputRef: string | null
  outputRef: string | null
  port: string | null
  error: NullableJson<StepError>
  idempotencyKey: string
  credits: BigintCol
  startedAt: Timestamp
  finishedAt: NullableTimestamp
  durationMs: number | null
}

/** Large step payloads, content-addressed per workspace (sha256 of the JSON), stored once. */
export type FlowPayloadsTable = {
  id: string
  workspaceId: string
  bytes: number
  data: Json<unknown>
  createdAt: Timestamp
}

/** A flow's public webhook: the URL secret's hash (the secret is shown once) and the optional HMAC check. */
export type FlowWebhooksTable = {
  flowId: string
  workspaceId: string
  secretHash: string
  secretHint: string
  /** Sealed HMAC secret (null: no signature check). */
  hmacSecret: string | null
  hmacHeader: string | null
  rotatedAt: Timestamp
}

/** The per-client vault of credentials HTTP steps use; the value is sealed and never shown again. */
export type FlowCredentialsTable = {
  id: string
  workspaceId: string
  clientId: string
  name: string
  kind: 'bearer' | 'basic' | 'header' | 'query'
  sealed: string
  hint: string
  createdBy: string
  createdAt: Timestamp
  removedAt: NullableTimestamp
}

/** Multi-turn context of AI steps, keyed by what the run is about (a contact, a thread, a lead). */
export type FlowMemoriesTable = {
  workspaceId: string
  clientId: string
  namespace: string
  key: string
  messages: Json<{ role: 'user' | 'assistant'; content: string }[]>
  version: number
  updatedAt: Timestamp
}

/** The tables the flows module owns: its handles are typed `Kysely<FlowsTables>`. */
export type FlowsTables = {
  flows: FlowsTable
  flowVersions: FlowVersionsTable
  flowRuns: FlowRunsTable
  flowSteps: FlowStepsTable
  flowPayloads: FlowPayloadsTable
  flowWebhooks: FlowWebhooksTable
  flowCredentials: FlowCredentialsTable
  flowMemories: FlowMemoriesTable
}

export type FlowRow = Selectable<FlowsTable>
export type FlowVersionRow = Selectable<FlowVersionsTable>
export type FlowRunRow = Selectable<FlowRunsTable>
export type FlowStepRow = Selectable<FlowStepsTable>
