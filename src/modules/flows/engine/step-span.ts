import { failSpan, isTracing, withSpan } from '../../../platform/observability/tracing.ts'

export type TracedStep = {
  workspaceId: string
  flowId: string
  runId: string
  nodeId: string
  nodeType: string
  iteration: string
}

/**
 * One step's execution as a span (`flow.step`), the run id as its request id: its attempt and how it ended, read from
 * the step's row once it returns or throws. A step that parks (waiting, retrying later) is not an error; one that fails
 * the run or loses its lease is.
 */
export const traceStep = async <T>(
  step: TracedStep,
  run: () => Promise<T>,
  row: () => { status: string; attempts: number } | undefined,
): Promise<T> => {
  if (!isTracing()) return run()
  const ended = await withSpan(
    'flow.step',
    {
      'camarad.workspace_id': step.workspaceId,
      'camarad.flow_id': step.flowId,
      'camarad.run_id': step.runId,
      'camarad.node_id': step.nodeId,
      'camarad.node_type': step.nodeType,
      'camarad.iteration': step.iteration,
    },
    async (span) => {
      let result: { value: T } | { error: unknown }
      try {
        result = { value: await run() }
      } catch (error) {
        result = { error }
      }
      const r = row()
      const parked = r?.status === 'waiting' || r?.status === 'retrying'
      const status = 'value' in result ? (r?.status ?? 'completed') : parked ? r.status : 'failed'
      span.setAttribute('camarad.step_status', status)
      if (r) span.setAttribute('camarad.attempt', r.attempts)
      if ('error' in result && !parked) failSpan(span, result.error)
      return result
    },
    { requestId: step.runId },
  )
  if ('error' in ended) throw ended.error
  return ended.value
}
