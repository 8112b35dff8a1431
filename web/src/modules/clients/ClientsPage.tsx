import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit } from '../../lib/roles.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { useTitle } from '../../lib/use-title.ts'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { clientKeys, listClients } from './api.ts'
import type { ArchivedFilter } from './api.ts'
import { ClientCreateForm } from './ClientCreateForm.tsx'
import { ClientFilters } from './ClientFilters.tsx'
import { ClientsTable } from './ClientsTable.tsx'

export function ClientsPage() {
  useTitle('Clients')
  const { workspace, role } = useWorkspace()
  const [search, setSearch] = useState('')
  const [archived, setArchived] = useState<ArchivedFilter>('exclude')
  const q = useDebounced(search.trim(), 300)
  const filters = { q, archived }
  const query = useInfiniteQuery({
    queryKey: clientKeys.list(workspace.id, filters),
    queryFn: ({ pageParam, signal }) => listClients(workspace.id, { ...filters, cursor: pageParam, limit: 25 }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const filtered = q !== '' || archived !== 'exclude'
  return (
    <>
      <PageHeader title="Clients" description={`The clients of ${workspace.name}.`} />
      {canEdit(role) && (
        <div className="mb-8">
          <ClientCreateForm />
        </div>
      )}
      <ClientFilters search={search} onSearch={setSearch} archived={archived} onArchived={setArchived} />
      <QueryState query={query} label="Loading clients…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) {
            return filtered ? (
              <EmptyState title="No clients match">Try another search or show archived clients too.</EmptyState>
            ) : (
              <EmptyState title="No clients yet">
                {canEdit(role)
                  ? 'Add your first client with the form above.'
                  : 'Clients added by your team will show up here.'}
              </EmptyState>
            )
          }
          return (
            <>
              <ClientsTable clients={items} />
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </>
  )
}
