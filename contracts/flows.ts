import { z } from 'zod'
import { Id, Timestamp, page } from './common.ts'

/**
 * Flows: a client's automations. A flow is a graph of typed nodes (triggers, logic, actions) joined by edges from an
 * output port to an input port. The draft is edited freely; publishing freezes it into an immutable version, and every
 * run points at one immutable version (a test run of the draft snapshots it first).
 */

/** A node's id in its graph: short, stable, readable in logs and idempotency keys (`flow:<run>:<node>:<iteration>`). */
export const NodeId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'Use letters, digits, - and _ (max 40).')
/** A config value is a literal or an expression, written `{ "$expr": "…JSONata…" }` (never a magic string prefix). */
export const Expr = z.strictObject({ $expr: z.string().min(1).max(10_000) })
export type Expr = z.infer<typeof Expr>

export const FlowNode = z.strictObject({
  id: NodeId,
  type: z.string().min(1).max(80).meta({ description: 'A registered node type, e.g. `core.http`' }),
  name: z.string().trim().min(1).max(80),
  position: z.strictObject({ x: z.number().finite(), y: z.number().finite() }),
  config: z.record(z.string(), z.unknown()).default({}),
  disabled: z.boolean().optional(),
})
export type FlowNode = z.infer<typeof FlowNode>

export const FlowEdge = z.strictObject({
  from: NodeId,
  fromPort: z.string().min(1).max(40).default('out'),
  to: NodeId,
  toPort: z.string().min(1).max(40).default('in'),
})
export type FlowEdge = z.infer<typeof FlowEdge>

export const MAX_NODES = 200
export const FlowGraph = z
  .strictObject({
    nodes: z.array(FlowNode).max(MAX_NODES),
    edges: z.array(FlowEdge).max(MAX_NODES * 4),
  })
  .meta({ id: 'FlowGraph' })
export type FlowGraph = z.infer<typeof FlowGraph>

/** A graph validation error, pinned to a node (and a field of its config) when it has one. */
export const GraphIssue = z.object({
  nodeId: z.string().nullable(),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
})
export type GraphIssue = z.infer<typeof GraphIssue>

export const FlowState = z.enum(['active', 'paused', 'archived'])
export type FlowState = z.infer<typeof FlowState>

export const FlowDto = z
  .object({
    id: z.string(),
    clientId: z.string(),
    name: z.string(),
    description: z.string(),
    state: FlowState,
    draft: FlowGraph,
    draftRevision: z.number().int(),
    publishedVersion: z.object({ id: z.string(), number: z.number().int(), publishedAt: Timestamp }).nullable(),
    /** The draft differs from the published version. */
    unpublishedChanges: z.boolean(),
    /** The public webhook path when the published version starts with a webhook trigger (the secret is shown once). */
    webhook: z.object({ hint: z.string(), hmac: z.boolean() }).nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Flow' })
export type FlowDto = z.infer<typeof FlowDto>
export const FlowPage = page(FlowDto)

export const FlowCreate = z.strictObject({
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().max(500).optional(),
  graph: FlowGraph.optional(),
})
export type FlowCreate = z.infer<typeof FlowCreate>

export const FlowDraftUpdate = z.strictObject({
  name: z.string().trim().min(1).max(80).optional(),
  description: z.string().trim().max(500).optional(),
  graph: FlowGraph.optional(),
  /** The revision the edit started from: a stale one is refused (409 `flows.stale_draft`). */
  revision: z.number().int().min(0),
})
export type FlowDraftUpdate = z.infer<typeof FlowDraftUpdate>

/** A flow exported as JSON (and imported back into a client). */
export const FlowExport = z
  .strictObject({
    camaradFlow: z.literal(1),
    name: z.string().trim().min(1).max(80),
    description: z.string().max(500).default(''),
    graph: FlowGraph,
  })
  .meta({ id: 'FlowExport' })
export type FlowExport = z.infer<typeof FlowExport>

export const RunTrigger = z.enum(['manual', 'webhook', 'schedule', 'subflow', 'whatsapp', 'crm'])
export type RunTrigger = z.infer<typeof RunTrigger>
export const RunStatus = z.enum(['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'])
export type RunStatus = z.infer<typeof RunStatus>
export const StepStatus = z.enum(['started', 'completed', 'failed', 'waiting', 'retrying', 'skipped', 'cancelled'])
export type StepStatus = z.infer<typeof StepStatus>

export const StepError = z.object({ code: z.string(), message: z.string(), retryable: z.boolean().optional() })
export type StepError = z.infer<typeof StepError>

export const FlowRunDto = z
  .object({
    id: z.string(),
    flowId: z.string(),
    flowName: z.string(),
    clientId: z.string(),
    versionId: z.string(),
    versionNumber: z.number().int().nullable().meta({ description: 'null for a test run of the draft' }),
    trigger: RunTrigger,
    status: RunStatus,
    steps: z.number().int(),
    /** Credits charged to the run's AI steps, in whole credits as a decimal string (exact). */
    credits: z.string(),
    error: StepError.nullable(),
    parentRunId: z.string().nullable(),
    createdAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    durationMs: z.number().int().nullable(),
  })
  .meta({ id: 'FlowRun' })
export type FlowRunDto = z.infer<typeof FlowRunDto>
export const FlowRunPage = page(FlowRunDto)

export const FlowStepDto = z
  .object({
    key: z.string().meta({ description: '`<nodeId>#<iteration>`' }),
    nodeId: z.string(),
    iteration: z.string(),
    status: StepStatus,
    attempts: z.number().int(),
    input: z.unknown(),
    output: z.unknown(),
    port: z.string().nullable(),
    error: StepError.nullable(),
    idempotencyKey: z.string(),
    credits: z.string(),
    startedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    durationMs: z.number().int().nullable(),
  })
  .meta({ id: 'FlowStep' })
export type FlowStepDto = z.infer<typeof FlowStepDto>

/** A run's whole trace: the run, the graph it ran, and every step in the order it started. */
export const FlowRunTrace = z
  .object({ run: FlowRunDto, graph: FlowGraph, input: z.unknown(), output: z.unknown(), steps: z.array(FlowStepDto) })
  .meta({ id: 'FlowRunTrace' })
export type FlowRunTrace = z.infer<typeof FlowRunTrace>

export const RunsQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  status: RunStatus.optional(),
  trigger: RunTrigger.optional(),
  flowId: Id.optional(),
})
export type RunsQuery = z.infer<typeof RunsQuery>

export const ManualRunStart = z.strictObject({
  input: z.unknown().optional(),
  /** Admins may test the draft (snapshotted into an unpublished version first). */
  draft: z.boolean().optional(),
})
export type ManualRunStart = z.infer<typeof ManualRunStart>

/** Live events of a flow run (SSE at `/api/flows/runs/:id/events`, stored in the run's log). */
export type FlowRunEvent =
  | { type: 'run'; data: { runId: string; flowId: string; status: RunStatus } }
  | { type: 'step-started'; data: { key: string; nodeId: string; attempt: number; input?: unknown } }
  | { type: 'step-log'; data: { key: string; nodeId: string; message: string; data?: unknown } }
  | {
      type: 'step-completed'
      data: { key: string; nodeId: string; port: string | null; output?: unknown; durationMs: number }
    }
  | { type: 'step-failed'; data: { key: string; nodeId: string; error: StepError } }
  | { type: 'step-retrying'; data: { key: string; nodeId: string; error: StepError; at: string } }
  | { type: 'step-waiting'; data: { key: string; nodeId: string; until: string } }
  | { type: 'respond'; data: { status: number; body: unknown; headers?: Record<string, string> } }
  | { type: 'done'; data: { status: RunStatus; steps: number; credits: string; error?: StepError | null } }

/** A node type as the canvas sees it: its form (JSON Schema of its config), ports and effect. */
export const NodeTypeDto = z
  .object({
    type: z.string(),
    kind: z.enum(['trigger', 'logic', 'action']),
    label: z.string(),
    description: z.string(),
    icon: z.string(),
    configSchema: z.record(z.string(), z.unknown()),
    inputs: z.array(z.string()),
    outputs: z
      .array(z.string())
      .meta({ description: 'Static ports; dynamic ones (switch cases) come from the config' }),
    dynamicOutputs: z.boolean(),
    effect: z.enum(['none', 'transactional', 'external']),
    minRole: z.enum(['member', 'admin']),
  })
  .meta({ id: 'FlowNodeType' })
export type NodeTypeDto = z.infer<typeof NodeTypeDto>

export const TemplateDto = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    graph: FlowGraph,
  })
  .meta({ id: 'FlowTemplate' })
export type TemplateDto = z.infer<typeof TemplateDto>

export const ComposeRequest = z.strictObject({
  prompt: z.string().trim().min(3).max(4000),
  /** Answer only the estimate (the cost shown before composing). */
  estimateOnly: z.boolean().optional(),
})
export type ComposeRequest = z.infer<typeof ComposeRequest>

export const GraphCheck = z.strictObject({ graph: FlowGraph })
export const GraphCheckResult = z.object({ valid: z.boolean(), issues: z.array(GraphIssue) })

/** A schedule trigger's next occurrences, as the scheduler will fire them (the canvas shows them under the cron). */
export const SchedulePreviewQuery = z.strictObject({
  cron: z.string().trim().min(1).max(100),
  timezone: z.string().min(1).max(64).default('UTC'),
  count: z.coerce.number().int().min(1).max(10).default(5),
})
export const SchedulePreview = z.object({ next: z.array(Timestamp) }).meta({ id: 'SchedulePreview' })
export type SchedulePreview = z.infer<typeof SchedulePreview>

export const RunStarted = z.object({ runId: z.string(), status: RunStatus }).meta({ id: 'FlowRunStarted' })
export type RunStarted = z.infer<typeof RunStarted>

/** A webhook URL with its secret: shown once, on publish of a webhook flow or on rotate. */
export const WebhookSecretDto = z.object({ url: z.string(), secret: z.string(), hmacSecret: z.string().nullable() })
export type WebhookSecretDto = z.infer<typeof WebhookSecretDto>

export const ComposeEstimate = z.object({
  /** The most this compose may cost, in whole credits as a decimal string. */
  credits: z.string(),
  /** The offline model composes from the templates, for free and deterministically. */
  offline: z.boolean(),
})
export const ComposeResult = z.union([
  z.object({ estimate: ComposeEstimate }),
  z.object({ flow: FlowDto, credits: z.string(), repaired: z.boolean() }),
])
export type ComposeResult = z.infer<typeof ComposeResult>

export const CredentialKind = z.enum(['bearer', 'basic', 'header', 'query'])
export const CredentialCreate = z.strictObject({
  name: z.string().trim().min(1).max(80),
  kind: CredentialKind,
  /** bearer: the token; basic: `user:password`; header / query: the value of `field`. */
  value: z.string().min(1).max(8000),
  field: z.string().trim().min(1).max(100).optional(),
})
export type CredentialCreate = z.infer<typeof CredentialCreate>
export const CredentialDto = z
  .object({ id: z.string(), name: z.string(), kind: CredentialKind, hint: z.string(), createdAt: Timestamp })
  .meta({ id: 'FlowCredential' })
export type CredentialDto = z.infer<typeof CredentialDto>

/**
 * The routes (the public contract; X-Client-ID names the client where no path id does):
 * - GET  /api/flows                         list (viewer)            → FlowPage
 * - POST /api/flows                         create (admin, plan)     → 201 Flow
 * - POST /api/flows/import                  import (admin, plan)     → 201 Flow
 * - POST /api/flows/validate                check a graph            → GraphCheckResult
 * - GET  /api/flows/node-types              the registry             → FlowNodeType[]
 * - GET  /api/flows/schedule-preview        next times of a cron in a zone (SchedulePreviewQuery) → SchedulePreview
 * - GET  /api/flows/:id                     read (viewer)            → Flow
 * - PUT  /api/flows/:id                     update the draft (admin) → Flow (409 flows.stale_draft)
 * - POST /api/flows/:id/publish             (admin)                  → Flow (400 flows.invalid_graph)
 * - POST /api/flows/:id/pause | resume | archive | restore (admin)   → Flow
 * - GET  /api/flows/:id/export              (viewer)                 → FlowExport
 * - POST /api/flows/:id/webhook/rotate      (admin)                  → WebhookSecret (shown once)
 * - POST /api/flows/:id/runs                start a manual run (member; `draft: true` admin) → 202 RunStarted
 * - GET  /api/flows/:id/runs                runs of a flow (viewer)  → FlowRunPage
 * - GET  /api/flows/runs                    runs of the client (viewer, RunsQuery) → FlowRunPage
 * - GET  /api/flows/runs/:id                the trace (viewer)       → FlowRunTrace
 * - GET  /api/flows/runs/:id/export         the trace as a download  → FlowRunTrace
 * - GET  /api/flows/runs/:id/events         SSE of FlowRunEvent, Last-Event-ID resume (viewer)
 * - POST /api/flows/runs/:id/cancel         (member)                 → FlowRun
 * - GET  /api/flows/templates               the gallery              → FlowTemplate[]
 * - POST /api/flows/templates/:id/instantiate (admin, plan)          → 201 Flow
 * - POST /api/flows/compose                 (admin, plan, metered)   → ComposeResult
 * - GET  /api/flows/credentials, POST (admin), DELETE /api/flows/credentials/:id (admin)
 * - POST /api/hooks/flows/:secret           public webhook trigger   → 202 RunStarted, or the respond node's answer
 */
