import { useQuery } from '@tanstack/react-query'
import { ReactFlowProvider } from '@xyflow/react'
import { useState } from 'react'
import { useParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit, canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { QueryState } from '../../ui/QueryState.tsx'
import { flowKeys, getFlow } from './api.ts'
import { WithNodeTypes } from './node-types.tsx'
import { FlowEditor } from './FlowEditor.tsx'

/** /app/flows/:id: the flow's canvas. */
export function FlowEditorPage() {
  const { id = '' } = useParams()
  const { role } = useWorkspace()
  const [generation, setGeneration] = useState(0)
  const flow = useQuery({
    queryKey: flowKeys.flow(id),
    queryFn: ({ signal }) => getFlow(id, signal),
    // The editor owns the draft once open: no background refetch while it is, and a fresh read each time it opens.
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  })
  useTitle(flow.data?.name ?? 'Flow')
  return (
    <QueryState query={flow} label="Loading the flow…">
      {(f) => (
        <WithNodeTypes clientId={f.clientId}>
          {(t) => (
            <ReactFlowProvider>
              <FlowEditor
                key={`${f.id}:${generation}`}
                flow={f}
                types={t}
                admin={canManage(role)}
                member={canEdit(role)}
                onReload={() => void flow.refetch().then(() => setGeneration((g) => g + 1))}
              />
            </ReactFlowProvider>
          )}
        </WithNodeTypes>
      )}
    </QueryState>
  )
}
