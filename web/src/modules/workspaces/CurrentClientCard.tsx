import { Link } from 'react-router'
import { formatDate } from '../../lib/format.ts'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import type { useCurrentClient } from '../clients/index.ts'

export function CurrentClientCard({ current }: { current: ReturnType<typeof useCurrentClient> }) {
  const { query, client } = current
  return (
    <Card title="Current client" description="Pick another client in the sidebar.">
      {query.isPending ? (
        <Skeleton label="Loading the client…" rows={1} />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => query.refetch()} />
      ) : !client ? (
        <EmptyState title="No clients yet">
          Add the first client you work for on the{' '}
          <Link to="/app/clients" className="text-indigo-700 hover:underline">
            clients page
          </Link>
          .
        </EmptyState>
      ) : (
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
          <dt className="text-slate-500">Name</dt>
          <dd className="font-medium text-slate-900">{client.name}</dd>
          <dt className="text-slate-500">Website</dt>
          <dd className="break-all text-slate-900">{client.website ?? '—'}</dd>
          <dt className="text-slate-500">Since</dt>
          <dd className="text-slate-900">{formatDate(client.createdAt)}</dd>
          <dd className="col-span-2 mt-2">
            <Link
              to={`/app/clients/${encodeURIComponent(client.id)}`}
              className="font-medium text-indigo-700 hover:underline"
            >
              Open client details
            </Link>
          </dd>
        </dl>
      )}
    </Card>
  )
}
