import { useInfiniteQuery } from '@tanstack/react-query'
import { auditActionLabel } from '../../../../contracts/audit-actions.ts'
import { formatDateTime } from '../../lib/format.ts'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { activityKey, getActivity, type AccountEvent } from './api.ts'

const describe = (e: AccountEvent) => {
  const label = auditActionLabel(e.action)
  return e.metadata.method === 'google' ? `${label} with Google` : label
}

/** Your sign-ins and account changes, with the address each came from: only you see them. */
export function ActivityList() {
  const query = useInfiniteQuery({
    queryKey: activityKey,
    queryFn: ({ pageParam, signal }) => getActivity(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  })
  return (
    <QueryState query={query} label="Loading your activity…">
      {(data) => {
        const items = data.pages.flatMap((p) => p.items)
        if (items.length === 0) return <EmptyState title="No activity yet" />
        return (
          <>
            <Table caption="Your recent sign-in activity" columns={['When', 'What', 'From']}>
              {items.map((e) => (
                <tr key={e.id} data-testid="activity-row">
                  <Td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</Td>
                  <Td className={e.action === 'auth.login_failed' ? 'font-medium text-red-700' : ''}>{describe(e)}</Td>
                  <Td className="font-mono text-xs">{e.ip ?? '—'}</Td>
                </tr>
              ))}
            </Table>
            <LoadMore query={query} />
          </>
        )
      }}
    </QueryState>
  )
}
