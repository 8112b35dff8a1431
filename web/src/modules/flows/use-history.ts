import { useCallback, useState } from 'react'
import type { FlowGraph } from '../../../../contracts/flows.ts'

export const HISTORY_LIMIT = 100
/** Edits with the same key within this window (typing in one field) make one undo step. */
const COALESCE_MS = 1000

type State = { graph: FlowGraph; past: FlowGraph[]; future: FlowGraph[]; lastKey: string | null; lastAt: number }

/**
 * The edited graph with undo/redo: a snapshot stack of up to 100 graphs. `change(next, key)` records the graph it
 * replaces unless the previous change had the same `key` a moment ago; `record: false` changes (a drag in progress)
 * are not recorded — `recordFrom(before)` at the end of the drag is.
 */
export function useGraphHistory(initial: FlowGraph) {
  const [state, setState] = useState<State>({ graph: initial, past: [], future: [], lastKey: null, lastAt: 0 })

  const change = useCallback((update: (g: FlowGraph) => FlowGraph, key: string | null = null, record = true) => {
    setState((s) => {
      const graph = update(s.graph)
      if (graph === s.graph) return s
      const now = Date.now()
      const coalesce = !record || (key !== null && key === s.lastKey && now - s.lastAt < COALESCE_MS)
      return {
        graph,
        past: coalesce ? s.past : [...s.past, s.graph].slice(-HISTORY_LIMIT),
        future: coalesce && !record ? s.future : [],
        lastKey: key,
        lastAt: now,
      }
    })
  }, [])

  /** Records `before` as one undo step when the graph has moved on from it (the end of a drag). */
  const recordFrom = useCallback((before: FlowGraph) => {
    setState((s) =>
      before === s.graph ? s : { ...s, past: [...s.past, before].slice(-HISTORY_LIMIT), future: [], lastKey: null },
    )
  }, [])

  const undo = useCallback(() => {
    setState((s) => {
      const prev = s.past.at(-1)
      if (!prev) return s
      return { graph: prev, past: s.past.slice(0, -1), future: [s.graph, ...s.future], lastKey: null, lastAt: 0 }
    })
  }, [])

  const redo = useCallback(() => {
    setState((s) => {
      const next = s.future[0]
      if (!next) return s
      return { graph: next, past: [...s.past, s.graph], future: s.future.slice(1), lastKey: null, lastAt: 0 }
    })
  }, [])

  /** Replaces the graph and forgets the history (a reload from the server). */
  const reset = useCallback(
    (graph: FlowGraph) => setState({ graph, past: [], future: [], lastKey: null, lastAt: 0 }),
    [],
  )

  return {
    graph: state.graph,
    change,
    recordFrom,
    undo,
    redo,
    reset,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
  }
}
