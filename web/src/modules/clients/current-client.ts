import { useQuery } from '@tanstack/react-query'
import { useWorkspace } from '../../app/workspace.tsx'
import { clientKeys, listClients } from './api.ts'

/** Active clients of the current workspace (first 100) and the current one: remembered, else the first. */
export const useCurrentClient = () => {
  const { workspace, storedClientId, selectClient } = useWorkspace()
  const query = useQuery({
    queryKey: clientKeys.switcher(workspace.id),
    queryFn: ({ signal }) => listClients(workspace.id, { limit: 100, archived: 'exclude' }, signal),
    staleTime: 30_000,
  })
  const clients = query.data?.items ?? []
  const client = clients.find((c) => c.id === storedClientId) ?? clients[0] ?? null
  return { query, clients, client, selectClient }
}
