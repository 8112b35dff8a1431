import { useQuery } from '@tanstack/react-query'
import { useAuthStatus } from '../../app/session.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { clientKeys, listClients } from '../clients/index.ts'
import { useCurrentClient } from '../clients/index.ts'
import { useAgents } from '../agents/index.ts'
import { useModels } from '../models/index.ts'
import { listMembers, memberKeys } from '../members/index.ts'
import { creditKeys, getBalance } from './api.ts'

/** The balance of the current workspace; with a client, the caps of that client are included. */
export const useBalance = (clientId: string | null) => {
  const { workspace } = useWorkspace()
  return useQuery({
    queryKey: creditKeys.balance(workspace.id, clientId),
    queryFn: ({ signal }) => getBalance(workspace.id, clientId, signal),
    staleTime: 15_000,
  })
}

/** Names for the ids the ledger and spend carry (members, clients incl. archived, models, agents). */
export const useNames = () => {
  const { workspace } = useWorkspace()
  const me = useAuthStatus().data?.user?.id
  const { client } = useCurrentClient()
  const members = useQuery({
    queryKey: memberKeys.members(workspace.id),
    queryFn: ({ signal }) => listMembers(workspace.id, signal),
    staleTime: 60_000,
  })
  const clients = useQuery({
    queryKey: [...clientKeys.all(workspace.id), 'names'],
    queryFn: ({ signal }) => listClients(workspace.id, { limit: 100, archived: 'include' }, signal),
    staleTime: 60_000,
  })
  const models = useModels()
  const agents = useAgents(client?.id)
  const people = new Map((members.data?.items ?? []).map((m) => [m.userId, m.name]))
  const clientNames = new Map((clients.data?.items ?? []).map((c) => [c.id, c.name]))
  const modelNames = new Map((models.data ?? []).map((m) => [m.id, m.label]))
  const agentNames = new Map((agents.data ?? []).map((a) => [a.id, a.name]))
  return {
    me,
    members: members.data?.items ?? [],
    clients: clients.data?.items ?? [],
    user: (id: string | null) => (id ? (id === me ? 'You' : (people.get(id) ?? id)) : '—'),
    client: (id: string | null) => (id ? (clientNames.get(id) ?? id) : '—'),
    model: (id: string | null) => (id ? (modelNames.get(id) ?? id) : '—'),
    agent: (id: string | null) => (id ? (agentNames.get(id) ?? id) : '—'),
  }
}
export type Names = ReturnType<typeof useNames>
