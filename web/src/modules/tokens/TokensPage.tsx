import { useQuery } from '@tanstack/react-query'
import { useTitle } from '../../lib/use-title.ts'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { listTokens, tokenKeys } from './api.ts'
import { TokenCreateForm } from './TokenCreateForm.tsx'
import { TokensTable } from './TokensTable.tsx'

export function TokensPage() {
  useTitle('API tokens')
  const query = useQuery({ queryKey: tokenKeys.all, queryFn: ({ signal }) => listTokens(signal) })
  return (
    <>
      <PageHeader
        title="API tokens"
        description={
          <>
            Personal tokens let scripts call the Camarad API as you, with your role in each workspace. Send them as{' '}
            <code className="rounded bg-slate-100 px-1">Authorization: Bearer …</code>.
          </>
        }
      />
      <Card title="Create a token" className="mb-8">
        <TokenCreateForm />
      </Card>
      <h2 className="mb-3 text-lg font-semibold text-slate-900">Your tokens</h2>
      <QueryState query={query} label="Loading tokens…">
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState title="No tokens yet">Tokens you create will be listed here.</EmptyState>
          ) : (
            <TokensTable tokens={items} />
          )
        }
      </QueryState>
    </>
  )
}
