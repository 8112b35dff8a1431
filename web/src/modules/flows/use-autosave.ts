import { useCallback, useEffect, useRef, useState } from 'react'
import type { FlowDto, FlowGraph } from '../../../../contracts/flows.ts'
import { isApiError } from '../../lib/api.ts'
import { updateDraft } from './api.ts'

export type SaveStatus = 'saved' | 'pending' | 'saving' | 'error' | 'stale'
type Draft = { graph: FlowGraph; name: string }

const DELAY_MS = 800

/**
 * Saves the draft (graph and name) a moment after it stops changing, one PUT at a time, each carrying the revision
 * the last one answered. A 409 `flows.stale_draft` (someone else saved) stops saving until the page reloads the draft.
 */
export function useAutosave(flow: FlowDto, draft: Draft, enabled: boolean, onSaved: (flow: FlowDto) => void) {
  const [status, setStatus] = useState<SaveStatus>('saved')
  const [error, setError] = useState<unknown>(null)
  const latest = useRef(draft)
  latest.current = draft
  const saved = useRef<Draft>({ graph: flow.draft, name: flow.name })
  const revision = useRef(flow.draftRevision)
  const running = useRef<Promise<void> | null>(null)
  const stale = useRef(false)
  const savedCallback = useRef(onSaved)
  savedCallback.current = onSaved

  const isDirty = () => latest.current.graph !== saved.current.graph || latest.current.name !== saved.current.name

  const saveLoop = useCallback(async () => {
    while (isDirty() && !stale.current) {
      const next = latest.current
      setStatus('saving')
      try {
        const body = {
          revision: revision.current,
          ...(next.graph !== saved.current.graph ? { graph: next.graph } : {}),
          ...(next.name !== saved.current.name ? { name: next.name } : {}),
        }
        const flowAfter = await updateDraft(flow.id, body)
        revision.current = flowAfter.draftRevision
        saved.current = next
        setError(null)
        savedCallback.current(flowAfter)
      } catch (e) {
        setError(e)
        if (isApiError(e, 'flows.stale_draft')) stale.current = true
        setStatus(stale.current ? 'stale' : 'error')
        throw e
      }
    }
    if (!stale.current) setStatus('saved')
  }, [flow.id])

  /** Saves now (or waits for the save under way); rejects when the draft could not be saved. */
  const flush = useCallback(async () => {
    if (running.current) await running.current.catch(() => undefined)
    if (!isDirty()) return
    const p = saveLoop()
    running.current = p
    try {
      await p
    } finally {
      if (running.current === p) running.current = null
    }
  }, [saveLoop])

  useEffect(() => {
    if (!enabled || stale.current) return
    if (!isDirty()) return
    setStatus((s) => (s === 'saving' ? s : 'pending'))
    const id = window.setTimeout(() => void flush().catch(() => undefined), DELAY_MS)
    return () => window.clearTimeout(id)
  }, [draft.graph, draft.name, enabled, flush])

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (isDirty() && !stale.current) e.preventDefault()
    }
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [])

  /** After a reload from the server: that draft is the saved one. */
  const adopt = useCallback((f: FlowDto) => {
    saved.current = { graph: f.draft, name: f.name }
    latest.current = saved.current
    revision.current = f.draftRevision
    stale.current = false
    setError(null)
    setStatus('saved')
  }, [])

  return { status, error, flush, adopt }
}
