import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useMemo } from 'react'
import type { FlowGraph, GraphIssue } from '../../../../contracts/flows.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { flowKeys, validateGraph } from './api.ts'

/** Checks the graph on the server a moment after it stops changing; issues by node, and those of the whole flow. */
export function useValidation(flowId: string, clientId: string, graph: FlowGraph, override: GraphIssue[] | null) {
  const debounced = useDebounced(graph, 600)
  const query = useQuery({
    queryKey: flowKeys.validate(flowId, debounced),
    queryFn: ({ signal }) => validateGraph(clientId, debounced, signal),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    gcTime: 60_000,
    retry: false,
  })
  const issues = override ?? query.data?.issues ?? []
  const grouped = useMemo(() => {
    const ids = new Set(graph.nodes.map((n) => n.id))
    const byNode = new Map<string, string[]>()
    const general: GraphIssue[] = []
    for (const i of issues) {
      if (i.nodeId && ids.has(i.nodeId)) {
        const path = i.path[0] === 'config' ? i.path.slice(1) : i.path
        byNode.set(i.nodeId, [
          ...(byNode.get(i.nodeId) ?? []),
          path.length ? `${path.join('.')}: ${i.message}` : i.message,
        ])
      } else general.push(i)
    }
    return { byNode, general }
  }, [issues, graph.nodes])
  return {
    issues,
    ...grouped,
    checking: query.isFetching || debounced !== graph,
    failed: query.isError,
    valid: !override && query.data?.valid === true && debounced === graph,
  }
}
