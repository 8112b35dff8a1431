import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { useDebounced } from '../../lib/use-debounced.ts'
import { useTitle } from '../../lib/use-title.ts'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Input } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { chatKeys, listConversations } from './api.ts'
import type { ArchivedFilter } from './api.ts'
import { ConversationList } from './ConversationList.tsx'
import { useAgents } from '../agents/index.ts'

/** /app/chat: every conversation of the current client, searchable, 25 at a time. */
export function ConversationsPage() {
  useTitle('Conversations')
  const { query: clientsQuery, client } = useCurrentClient()
  if (clientsQuery.isPending) return <Skeleton label="Loading clients…" variant="page" />
  return (
    <>
      <PageHeader title="Conversations" description={client ? `Conversations about ${client.name}.` : undefined} />
      {client ? (
        <ClientConversations clientId={client.id} />
      ) : (
        <NoClientYet>Conversations belong to a client. Add one first.</NoClientYet>
      )}
    </>
  )
}

function ClientConversations({ clientId }: { clientId: string }) {
  const [search, setSearch] = useState('')
  const [archived, setArchived] = useState<ArchivedFilter>('exclude')
  const filters = { q: useDebounced(search.trim(), 300), archived }
  const agents = useAgents(clientId)
  const query = useInfiniteQuery({
    queryKey: chatKeys.list(clientId, filters),
    queryFn: ({ pageParam, signal }) =>
      listConversations(clientId, { ...filters, cursor: pageParam, limit: 25 }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const filtered = filters.q !== '' || archived !== 'exclude'
  return (
    <>
      <div role="search" className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-end">
        <div className="flex-1">
          <label htmlFor="conversation-search" className="mb-1 block text-sm font-medium text-slate-800">
            Search conversations
          </label>
          <Input
            id="conversation-search"
            type="search"
            placeholder="Search by title"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
          <input
            type="checkbox"
            className="size-4 rounded border-slate-300"
            checked={archived === 'include'}
            onChange={(e) => setArchived(e.target.checked ? 'include' : 'exclude')}
          />
          Show archived
        </label>
      </div>
      <QueryState query={query} label="Loading conversations…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) {
            return filtered ? (
              <EmptyState title="No conversations match">
                Try another search{archived === 'exclude' ? ' or show archived ones too' : ''}.
              </EmptyState>
            ) : (
              <EmptyState
                title="No conversations yet"
                action={
                  <Link to="/app" className="font-medium text-indigo-700 hover:underline">
                    Pick an agent
                  </Link>
                }
              >
                Start one from the chat home.
              </EmptyState>
            )
          }
          return (
            <>
              <ConversationList conversations={items} agents={agents.data ?? []} label="Conversations" />
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </>
  )
}
