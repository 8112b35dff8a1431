import type { FlowRunEvent, RunStatus, StepError, StepStatus } from '../../../../contracts/flows.ts'

export type LiveLog = { message: string; data?: unknown }
export type LiveStep = {
  key: string
  nodeId: string
  status: StepStatus
  attempt: number
  input?: unknown
  output?: unknown
  port?: string | null
  error?: StepError
  durationMs?: number
  /** When a waiting step wakes, or a retrying one tries again. */
  until?: string
  logs: LiveLog[]
  startedAt: number
}
export type LiveRun = {
  status: RunStatus | null
  /** Steps in the order they started (a retried step keeps its place). */
  steps: LiveStep[]
  done: { status: RunStatus; steps: number; credits: string; error?: StepError | null } | null
  response: { status: number; body: unknown } | null
}

export const EMPTY_RUN: LiveRun = { status: null, steps: [], done: null, response: null }

const patchStep = (run: LiveRun, key: string, nodeId: string, patch: (s: LiveStep) => LiveStep): LiveRun => {
  const i = run.steps.findIndex((s) => s.key === key)
  const base: LiveStep =
    i >= 0 ? run.steps[i]! : { key, nodeId, status: 'started', attempt: 1, logs: [], startedAt: Date.now() }
  const step = patch(base)
  const steps = i >= 0 ? run.steps.map((s, j) => (j === i ? step : s)) : [...run.steps, step]
  return { ...run, steps }
}

/** Folds one event of the run's stream into the live view. */
export const applyRunEvent = (run: LiveRun, event: FlowRunEvent): LiveRun => {
  switch (event.type) {
    case 'run':
      return { ...run, status: event.data.status }
    case 'step-started': {
      const d = event.data
      return patchStep({ ...run, status: run.status ?? 'running' }, d.key, d.nodeId, (s) => ({
        ...s,
        status: 'started',
        attempt: d.attempt,
        input: d.input,
        error: undefined,
        startedAt: Date.now(),
      }))
    }
    case 'step-log': {
      const d = event.data
      return patchStep(run, d.key, d.nodeId, (s) => ({ ...s, logs: [...s.logs, { message: d.message, data: d.data }] }))
    }
    case 'step-completed': {
      const d = event.data
      return patchStep(run, d.key, d.nodeId, (s) => ({
        ...s,
        status: 'completed',
        port: d.port,
        output: d.output,
        durationMs: d.durationMs,
      }))
    }
    case 'step-failed': {
      const d = event.data
      return patchStep(run, d.key, d.nodeId, (s) => ({ ...s, status: 'failed', error: d.error }))
    }
    case 'step-retrying': {
      const d = event.data
      return patchStep(run, d.key, d.nodeId, (s) => ({ ...s, status: 'retrying', error: d.error, until: d.at }))
    }
    case 'step-waiting': {
      const d = event.data
      return patchStep({ ...run, status: 'waiting' }, d.key, d.nodeId, (s) => ({
        ...s,
        status: 'waiting',
        until: d.until,
      }))
    }
    case 'respond':
      return { ...run, response: { status: event.data.status, body: event.data.body } }
    case 'done':
      return { ...run, status: event.data.status, done: event.data }
    default:
      return run
  }
}

/** Node ids whose step is running now (highlighted on the canvas). */
export const runningNodes = (run: LiveRun) =>
  new Set(run.steps.filter((s) => s.status === 'started' || s.status === 'retrying').map((s) => s.nodeId))

/** The latest step status of each node (a node in a loop shows its last iteration). */
export const nodeStatuses = (run: LiveRun) => {
  const out = new Map<string, StepStatus>()
  for (const s of run.steps) out.set(s.nodeId, s.status)
  return out
}
