import type { FlowState, RunStatus, StepStatus } from '../../../../contracts/flows.ts'
import type { Tone } from '../../ui/Badge.tsx'

export const FLOW_STATE_TONE: Record<FlowState, Tone> = { active: 'green', paused: 'amber', archived: 'slate' }
export const FLOW_STATE_LABEL: Record<FlowState, string> = { active: 'Active', paused: 'Paused', archived: 'Archived' }

export const RUN_STATUS_TONE: Record<RunStatus, Tone> = {
  queued: 'slate',
  running: 'sky',
  waiting: 'indigo',
  completed: 'green',
  failed: 'red',
  cancelled: 'amber',
}
export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  waiting: 'Waiting',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

export const STEP_STATUS_TONE: Record<StepStatus, Tone> = {
  started: 'sky',
  completed: 'green',
  failed: 'red',
  waiting: 'indigo',
  retrying: 'amber',
  skipped: 'slate',
  cancelled: 'amber',
}
export const STEP_STATUS_LABEL: Record<StepStatus, string> = {
  started: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  waiting: 'Waiting',
  retrying: 'Retrying',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
}

export const TRIGGER_LABEL = {
  manual: 'Manual',
  webhook: 'Webhook',
  schedule: 'Schedule',
  subflow: 'Sub-flow',
  whatsapp: 'WhatsApp message',
  crm: 'CRM event',
} as const

/** "850 ms", "4.2 s", "3 min 5 s". */
export const formatDuration = (ms: number | null | undefined) => {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${s % 60} s`
}

/** Credits as the API sends them (a decimal string of whole credits); "0" reads as "—". */
export const formatRunCredits = (credits: string) => (/^0*(\.0*)?$/.test(credits) ? '—' : credits)
