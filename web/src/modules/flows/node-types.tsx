import { useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import type { NodeTypeDto } from '../../../../contracts/flows.ts'
import { QueryState } from '../../ui/QueryState.tsx'
import { flowKeys, listNodeTypes } from './api.ts'

/** Renders `children` with the registry's node types (cached for a few minutes: they change only on deploy). */
export function WithNodeTypes({
  clientId,
  children,
}: {
  clientId: string
  children: (types: NodeTypeDto[]) => ReactNode
}) {
  const types = useQuery({
    queryKey: flowKeys.nodeTypes,
    queryFn: ({ signal }) => listNodeTypes(clientId, signal),
    staleTime: 5 * 60_000,
  })
  return (
    <QueryState query={types} label="Loading node types…">
      {children}
    </QueryState>
  )
}
