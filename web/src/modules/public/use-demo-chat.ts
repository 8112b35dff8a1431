import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, errorMessage } from '../../lib/api.ts'
import { readEventStream } from '../../lib/sse.ts'
import { sendDemo } from './api.ts'

export type DemoExchange = {
  id: number
  agentId: string
  question: string
  answer: string
  status: 'streaming' | 'complete' | 'stopped' | 'failed'
  error: string | null
}

const refusal = (e: unknown) => {
  if (e instanceof ApiError && e.status === 429) {
    const wait = e.retryAfterSeconds
      ? `in ${e.retryAfterSeconds} ${e.retryAfterSeconds === 1 ? 'second' : 'seconds'}`
      : 'in a minute'
    return `The demo takes a few messages a minute. Try again ${wait}.`
  }
  return errorMessage(e)
}

/** The demo's exchanges, kept in this page only: one answer streams at a time. */
export function useDemoChat() {
  const [exchanges, setExchanges] = useState<DemoExchange[]>([])
  const [error, setError] = useState<string | null>(null)
  const active = useRef<AbortController | null>(null)
  const nextId = useRef(1)
  useEffect(() => () => active.current?.abort(), [])

  const update = (id: number, patch: (x: DemoExchange) => Partial<DemoExchange>) =>
    setExchanges((all) => all.map((x) => (x.id === id ? { ...x, ...patch(x) } : x)))

  /** Resolves true once the server accepted the message (the box may then clear). */
  const send = useCallback(async (agentId: string, message: string) => {
    if (active.current) return false
    const ctrl = new AbortController()
    active.current = ctrl
    setError(null)
    let res: Response
    try {
      res = await sendDemo({ agentId, message }, ctrl.signal)
    } catch (e) {
      active.current = null
      if (!ctrl.signal.aborted) setError(refusal(e))
      return false
    }
    const id = nextId.current++
    setExchanges((all) => [...all, { id, agentId, question: message, answer: '', status: 'streaming', error: null }])
    void readEventStream(res, (m) => {
      if (m.event === 'delta' && typeof m.data.text === 'string') {
        const text = m.data.text
        update(id, (x) => ({ answer: x.answer + text }))
      } else if (m.event === 'done') update(id, () => ({ status: 'complete' }))
    })
      .then(
        () =>
          update(id, (x) =>
            x.status === 'streaming' ? { status: 'failed', error: 'The answer was cut short. Try again.' } : {},
          ),
        () =>
          update(id, () =>
            ctrl.signal.aborted
              ? { status: 'stopped' }
              : { status: 'failed', error: 'The connection broke before the answer was complete.' },
          ),
      )
      .finally(() => {
        if (active.current === ctrl) active.current = null
      })
    return true
  }, [])

  const stop = useCallback(() => active.current?.abort(), [])
  const streaming = exchanges.at(-1)?.status === 'streaming'
  return { exchanges, error, send, stop, streaming, clearError: () => setError(null) }
}
