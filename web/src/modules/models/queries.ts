import { useQuery } from '@tanstack/react-query'
import { useWorkspace } from '../../app/workspace.tsx'
import { listModels, modelKeys } from './api.ts'

/** The models the current workspace can use: the server's, its own provider keys' and the offline one (last). */
export const useModels = () => {
  const { workspace } = useWorkspace()
  return useQuery({
    queryKey: modelKeys.workspace(workspace.id),
    queryFn: ({ signal }) => listModels(workspace.id, signal),
    staleTime: 5 * 60_000,
  })
}
