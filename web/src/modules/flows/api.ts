import type {
  ComposeResult,
  CredentialDto,
  FlowDto,
  FlowExport,
  FlowGraph,
  FlowRunDto,
  FlowRunTrace,
  GraphIssue,
  NodeTypeDto,
  RunStarted,
  RunStatus,
  RunTrigger,
  TemplateDto,
  WebhookSecretDto,
} from '../../../../contracts/flows.ts'
import { api, downloadFile, isApiError } from '../../lib/api.ts'
import { openStream } from '../../lib/follow-stream.ts'

export type Page<T> = { items: T[]; nextCursor: string | null }
export type RunFilters = {
  status?: RunStatus | undefined
  trigger?: RunTrigger | undefined
  flowId?: string | undefined
}
export type GraphCheck = { valid: boolean; issues: GraphIssue[] }
/** A publish answer: the flow, and a webhook secret when this publish opened a webhook (shown once). */
export type Published = FlowDto & { webhookSecret?: WebhookSecretDto | null }

export const flowKeys = {
  all: ['flows'] as const,
  lists: ['flows', 'list'] as const,
  list: (clientId: string) => ['flows', 'list', clientId] as const,
  flow: (id: string) => ['flows', 'flow', id] as const,
  runs: ['flows', 'runs'] as const,
  runList: (clientId: string, filters: RunFilters) => ['flows', 'runs', clientId, filters] as const,
  run: (id: string) => ['flows', 'run', id] as const,
  nodeTypes: ['flows', 'node-types'] as const,
  templates: ['flows', 'templates'] as const,
  credentials: (clientId: string) => ['flows', 'credentials', clientId] as const,
  validate: (id: string, graph: FlowGraph) => ['flows', 'validate', id, graph] as const,
  schedule: (cron: string, timezone: string) => ['flows', 'schedule-preview', cron, timezone] as const,
}

const flowUrl = (id: string, rest = '') => `/api/flows/${encodeURIComponent(id)}${rest}`
const runUrl = (id: string, rest = '') => `/api/flows/runs/${encodeURIComponent(id)}${rest}`

export const listFlows = (clientId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<FlowDto>>('/api/flows', { clientId, query: { cursor, limit: 25 }, signal })

export const createFlow = (clientId: string, body: { name: string; description?: string; graph?: FlowGraph }) =>
  api<FlowDto>('/api/flows', { method: 'POST', clientId, body })

export const importFlow = (clientId: string, body: unknown) =>
  api<FlowDto>('/api/flows/import', { method: 'POST', clientId, body })

export const getFlow = (id: string, signal?: AbortSignal) => api<FlowDto>(flowUrl(id), { signal })

export const updateDraft = (id: string, body: { graph?: FlowGraph; name?: string; revision: number }) =>
  api<FlowDto>(flowUrl(id), { method: 'PUT', body })

export const publishFlow = (id: string) => api<Published>(flowUrl(id, '/publish'), { method: 'POST' })

export type StateAction = 'pause' | 'resume' | 'archive' | 'restore'
export const changeState = (id: string, action: StateAction) =>
  api<FlowDto>(flowUrl(id, `/${action}`), { method: 'POST' })

export const exportFlow = (id: string) => api<FlowExport>(flowUrl(id, '/export'))

export const rotateWebhook = (id: string) => api<WebhookSecretDto>(flowUrl(id, '/webhook/rotate'), { method: 'POST' })

export const startRun = (id: string, body: { input?: unknown; draft?: boolean }) =>
  api<RunStarted>(flowUrl(id, '/runs'), { method: 'POST', body })

export const validateGraph = (clientId: string, graph: FlowGraph, signal?: AbortSignal) =>
  api<GraphCheck>('/api/flows/validate', { method: 'POST', clientId, body: { graph }, signal })

/** A schedule's next occurrences, as the scheduler fires them. */
export const previewSchedule = (clientId: string, cron: string, timezone: string, signal?: AbortSignal) =>
  api<{ next: string[] }>(
    `/api/flows/schedule-preview?${new URLSearchParams({ cron, timezone, count: '5' }).toString()}`,
    { clientId, signal },
  )

/** The registry is the same for every client; the route only needs one the caller may see. */
export const listNodeTypes = (clientId: string, signal?: AbortSignal) =>
  api<NodeTypeDto[]>('/api/flows/node-types', { clientId, signal })

export const listRuns = (clientId: string, filters: RunFilters, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<FlowRunDto>>('/api/flows/runs', { clientId, query: { ...filters, cursor, limit: 25 }, signal })

export const getRun = (id: string, signal?: AbortSignal) => api<FlowRunTrace>(runUrl(id), { signal })

export const runExportUrl = (id: string) => runUrl(id, '/export')
/** Saves the run's trace as Markdown (steps, errors, a meeting's turns and decisions). */
export const downloadTraceMarkdown = (id: string, clientId: string) =>
  downloadFile(runUrl(id, '/trace.md'), {
    headers: { 'x-client-id': clientId, accept: 'text/markdown' },
    fallbackName: `flow-run-${id}.md`,
  })

export const cancelRun = (id: string) => api<FlowRunDto>(runUrl(id, '/cancel'), { method: 'POST' })

/** The run's events after sequence number `after` (0 replays them from the start). */
export const runEvents = (id: string, after: number, signal: AbortSignal) =>
  openStream(runUrl(id, '/events'), {
    signal,
    headers: { accept: 'text/event-stream', 'last-event-id': String(after) },
  })

export const listTemplates = (clientId: string, signal?: AbortSignal) =>
  api<TemplateDto[]>('/api/flows/templates', { clientId, signal })

export const instantiateTemplate = (clientId: string, id: string) =>
  api<FlowDto>(`/api/flows/templates/${encodeURIComponent(id)}/instantiate`, { method: 'POST', clientId })

export const compose = (clientId: string, body: { prompt: string; estimateOnly?: boolean }) =>
  api<ComposeResult>('/api/flows/compose', { method: 'POST', clientId, body })

export const listCredentials = (clientId: string, signal?: AbortSignal) =>
  api<CredentialDto[] | Page<CredentialDto>>('/api/flows/credentials', { clientId, signal }).then((r) =>
    Array.isArray(r) ? r : r.items,
  )

/** The graph issues a 400 `flows.invalid_graph` (or 422 `flows.compose_invalid`) carries. */
export const graphIssuesOf = (error: unknown): GraphIssue[] => {
  if (!isApiError(error) || !error.details || typeof error.details !== 'object') return []
  const issues = (error.details as { issues?: unknown }).issues
  if (!Array.isArray(issues)) return []
  return issues.flatMap((raw: unknown) => {
    if (!raw || typeof raw !== 'object') return []
    const i = raw as Partial<GraphIssue>
    if (typeof i.message !== 'string') return []
    return [
      {
        nodeId: typeof i.nodeId === 'string' ? i.nodeId : null,
        path: Array.isArray(i.path) ? i.path : [],
        message: i.message,
      },
    ]
  })
}

export const TERMINAL: readonly RunStatus[] = ['completed', 'failed', 'cancelled']
export const isFinished = (status: RunStatus) => TERMINAL.includes(status)
