import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { FlowRunEvent } from '../../../../contracts/flows.ts'
import { followStream } from '../../lib/follow-stream.ts'
import { flowKeys, runEvents } from './api.ts'
import { EMPTY_RUN, applyRunEvent } from './live-run.ts'
import type { LiveRun } from './live-run.ts'

/**
 * Follows a run's events from its start until `done` (reconnecting from the last event seen when the connection
 * breaks), then refreshes the run's trace and the run lists. `runId` null follows nothing.
 */
export function useRunStream(runId: string | null) {
  const qc = useQueryClient()
  const [live, setLive] = useState<LiveRun>(EMPTY_RUN)
  const [error, setError] = useState<unknown>(null)
  const [following, setFollowing] = useState(false)

  useEffect(() => {
    setLive(EMPTY_RUN)
    setError(null)
    if (!runId) return
    const ctrl = new AbortController()
    setFollowing(true)
    followStream({
      open: (after, signal) => runEvents(runId, after, signal),
      signal: ctrl.signal,
      onEvent: (m) => setLive((prev) => applyRunEvent(prev, { type: m.event, data: m.data } as FlowRunEvent)),
    }).then(
      () => {
        if (ctrl.signal.aborted) return
        setFollowing(false)
        void qc.invalidateQueries({ queryKey: flowKeys.run(runId) })
        void qc.invalidateQueries({ queryKey: flowKeys.runs })
      },
      (e: unknown) => {
        if (ctrl.signal.aborted) return
        setFollowing(false)
        setError(e)
      },
    )
    return () => ctrl.abort()
  }, [runId, qc])

  return { live, error, following }
}
