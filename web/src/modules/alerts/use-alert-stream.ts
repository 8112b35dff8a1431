import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { followStream, wait } from '../../lib/follow-stream.ts'
import { useToast } from '../../ui/Toast.tsx'
import { alertEvents, alertKeys, type AlertDto } from './api.ts'

const MAX_PAUSE_MS = 60_000

const isAlert = (data: Record<string, unknown>): data is AlertDto =>
  typeof data.id === 'string' && typeof data.title === 'string' && typeof data.message === 'string'

/**
 * Follows the workspace's alerts while an admin has the app open (one stream, from the layout): each new alert is a
 * toast and refreshes the bell and the alert centre; a `resync` or a reconnect reads them again. A lost stream is
 * reopened with a growing pause (up to a minute), for as long as the page is open. True while the stream is open.
 */
export function useAlertStream(workspaceId: string, enabled: boolean) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [live, setLive] = useState(false)
  useEffect(() => {
    if (!enabled) return
    const ctrl = new AbortController()
    const refresh = () => void qc.invalidateQueries({ queryKey: alertKeys.all(workspaceId) })
    void (async () => {
      let opened = 0
      for (let failures = 0; !ctrl.signal.aborted; failures++) {
        await followStream({
          open: (_after, signal) => alertEvents(workspaceId, signal),
          signal: ctrl.signal,
          terminal: 'end',
          onEvent: (m) => {
            if (m.event === 'ready') {
              failures = 0
              setLive(true)
              if (opened++ > 0) refresh()
            } else if (m.event === 'resync') refresh()
            else if (m.event === 'alert' && isAlert(m.data)) {
              refresh()
              notify(`${m.data.title}: ${m.data.message}`, m.data.severity === 'info' ? 'success' : 'error', {
                to: '/app/alerts',
                label: 'See alerts',
              })
            }
          },
        }).catch(() => undefined)
        setLive(false)
        await wait(Math.min(MAX_PAUSE_MS, 2000 * 2 ** failures), ctrl.signal)
      }
    })()
    return () => {
      ctrl.abort()
      setLive(false)
    }
  }, [workspaceId, enabled, qc, notify])
  return live
}
