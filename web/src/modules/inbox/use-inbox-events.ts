import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { followStream } from '../../lib/follow-stream.ts'
import { inboxEvents, inboxKeys } from './api.ts'

export type LiveState = 'connecting' | 'live' | 'lost'

const threadIdsOf = (data: Record<string, unknown>): string[] | null =>
  Array.isArray(data.threadIds) ? data.threadIds.filter((t): t is string => typeof t === 'string') : null

/**
 * Follows the client's inbox while the page is open (one stream per client): a `change` reads the named threads and
 * their messages again, `resync` (and a reconnect's `ready`, since nothing is replayed) reads everything again.
 */
export function useInboxEvents(clientId: string) {
  const qc = useQueryClient()
  const [state, setState] = useState<LiveState>('connecting')
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    const ctrl = new AbortController()
    let opened = 0
    const everything = () => void qc.invalidateQueries({ queryKey: inboxKeys.all(clientId) })
    setState('connecting')
    followStream({
      open: (_after, signal) => inboxEvents(clientId, signal),
      signal: ctrl.signal,
      terminal: 'end',
      onEvent: (m) => {
        if (m.event === 'ready') {
          setState('live')
          // The first `ready` follows the page's own first reads; a later one means events may have been missed.
          if (opened++ > 0) everything()
        } else if (m.event === 'resync') everything()
        else if (m.event === 'change') {
          const ids = threadIdsOf(m.data)
          if (!ids || m.data.all === true) return everything()
          void qc.invalidateQueries({ queryKey: inboxKeys.threads(clientId) })
          for (const id of ids) void qc.invalidateQueries({ queryKey: inboxKeys.messages(clientId, id) })
        }
      },
    }).then(
      () => undefined,
      () => {
        if (!ctrl.signal.aborted) setState('lost')
      },
    )
    return () => ctrl.abort()
  }, [clientId, qc, attempt])
  return { state, reconnect: () => setAttempt((a) => a + 1) }
}
