import { useInfiniteQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit } from '../../lib/roles.ts'
import { Badge } from '../../ui/Badge.tsx'
import { ButtonLink } from '../../ui/Button.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { ClientGate } from './ClientGate.tsx'
import { importKeys, listImports } from './imports-api.ts'

/** /app/crm/imports: the client's lead imports, newest first, each opening its progress and rows. */
export function ImportsPage() {
  return <ClientGate title="Lead imports">{(c) => <Imports clientId={c.id} />}</ClientGate>
}

function Imports({ clientId }: { clientId: string }) {
  const editor = canEdit(useWorkspace().role)
  const query = useInfiniteQuery({
    queryKey: importKeys.list(clientId),
    queryFn: ({ pageParam, signal }) => listImports(clientId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const start = editor && <ButtonLink to="/app/crm/imports/new">Import leads</ButtonLink>
  return (
    <>
      <PageHeader
        title="Lead imports"
        description="CSV files and web pages imported as contacts and deals."
        actions={start}
      />
      <QueryState query={query} label="Loading imports…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (!items.length)
            return (
              <EmptyState title="No imports yet" action={start}>
                Import leads from a CSV file or from web pages.
              </EmptyState>
            )
          return (
            <>
              <Table
                caption="Lead imports"
                columns={['Started', 'Source', 'From', 'Status', 'Imported', 'Duplicates', 'Invalid']}
              >
                {items.map((i) => (
                  <tr key={i.id}>
                    <Td>
                      <Link className="text-indigo-700 hover:underline" to={`/app/crm/imports/${i.id}`}>
                        {i.createdAt ? new Date(i.createdAt).toLocaleString() : '—'}
                      </Link>
                    </Td>
                    <Td>{i.source}</Td>
                    <Td>{i.kind === 'csv' ? 'CSV file' : 'Web pages'}</Td>
                    <Td>
                      <Badge tone={i.status === 'completed' ? 'green' : 'sky'}>
                        {i.status === 'completed' ? 'Done' : 'Running'}
                      </Badge>
                    </Td>
                    <Td>{i.counts.imported}</Td>
                    <Td>{i.counts.duplicates}</Td>
                    <Td>{i.counts.invalid}</Td>
                  </tr>
                ))}
              </Table>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </>
  )
}
