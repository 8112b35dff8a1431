import { useQuery } from '@tanstack/react-query'
import { agentKeys, listAgents } from './api.ts'

/** The agents a client can talk to (built-in and the workspace's own). */
export const useAgents = (clientId: string | null | undefined) =>
  useQuery({
    queryKey: agentKeys.client(clientId ?? 'none'),
    queryFn: ({ signal }) => listAgents(clientId!, signal),
    enabled: Boolean(clientId),
    staleTime: 60_000,
  })
