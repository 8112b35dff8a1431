import { useState } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canEdit } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Input } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { AgentCard } from './AgentCard.tsx'
import { useAgents } from '../agents/index.ts'
import { RecentConversations } from './RecentConversations.tsx'
import { useStartChat } from './use-start-chat.ts'

const matches = (agent: AgentDto, q: string) => `${agent.name} ${agent.role}`.toLowerCase().includes(q)

/** /app: the agents of the current client's workspace, a quick filter, and the client's recent conversations. */
export function ChatHomePage() {
  useTitle('Chat')
  const { role } = useWorkspace()
  const { query: clientsQuery, client } = useCurrentClient()
  const agents = useAgents(client?.id)
  const start = useStartChat(client?.id)
  const [search, setSearch] = useState('')
  const q = search.trim().toLowerCase()
  const editable = canEdit(role)

  if (clientsQuery.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client) {
    return (
      <>
        <PageHeader title="Chat" />
        {clientsQuery.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(clientsQuery.error)}
          </Alert>
        ) : (
          <NoClientYet>
            Conversations belong to a client. Add the first client you work for, then pick an agent here.
          </NoClientYet>
        )}
      </>
    )
  }
  return (
    <>
      <PageHeader
        title="Chat"
        description={
          <>
            Pick an agent to work on <strong className="font-semibold text-slate-900">{client.name}</strong>. Switch
            clients in the sidebar.
          </>
        }
      />
      {!editable && (
        <Alert className="mb-4">You have view-only access: you can read conversations but not start them.</Alert>
      )}
      {start.isError && (
        <Alert tone="error" className="mb-4" title="Could not start the conversation">
          {errorMessage(start.error)}
        </Alert>
      )}
      <section aria-labelledby="agents-heading" className="@container">
        <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
          <h2 id="agents-heading" className="text-base font-semibold text-slate-900">
            Agents
          </h2>
          <div className="w-full sm:w-72">
            <label htmlFor="agent-search" className="sr-only">
              Find an agent
            </label>
            <Input
              id="agent-search"
              type="search"
              placeholder="Find an agent by name or role"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
        </div>
        <QueryState query={agents} label="Loading agents…">
          {(items) => {
            const shown = q ? items.filter((a) => matches(a, q)) : items
            if (shown.length === 0)
              return (
                <EmptyState title={q ? 'No agent matches' : 'No agents available'}>
                  {q ? 'Try another name or role.' : 'Agents will show up here.'}
                </EmptyState>
              )
            return (
              <div className="grid grid-cols-1 gap-4 @md:grid-cols-2 @3xl:grid-cols-3 @5xl:grid-cols-4 @7xl:grid-cols-5">
                {shown.map((agent) => (
                  <AgentCard
                    key={agent.id}
                    agent={agent}
                    pending={start.isPending && start.variables?.agentId === agent.id}
                    onStart={editable ? (prompt) => start.mutate({ agentId: agent.id, prompt }) : undefined}
                  />
                ))}
              </div>
            )
          }}
        </QueryState>
      </section>
      <div className="mt-8">
        <RecentConversations clientId={client.id} agents={agents.data ?? []} />
      </div>
    </>
  )
}
