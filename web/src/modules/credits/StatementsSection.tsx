import { useQuery } from '@tanstack/react-query'
import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { num } from '../../ui/Table.tsx'
import { creditKeys, listStatements } from './api.ts'
import { formatCount } from '../../lib/format.ts'
import { formatCredits, formatSignedCredits } from '../../lib/credits.ts'
import type { Names } from './queries.ts'

const monthLabel = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' })
const month = (ym: string) => monthLabel.format(new Date(`${ym}-01T00:00:00Z`))

/** Monthly statements: the workspace's (no member) and each member's, built after each month closes. */
export function StatementsSection({ names }: { names: Names }) {
  const { workspace, role } = useWorkspace()
  const query = useQuery({
    queryKey: creditKeys.statements(workspace.id),
    queryFn: ({ signal }) => listStatements(workspace.id, signal),
  })
  return (
    <section aria-labelledby="statements-heading">
      <h2 id="statements-heading" className="text-lg font-semibold text-slate-900">
        Statements
      </h2>
      <p className="mb-4 max-w-prose text-sm text-slate-600">
        One per month, written when the month closes
        {canManage(role) ? ': the whole workspace, then each member.' : ', for your own usage.'}
      </p>
      <QueryState query={query} label="Loading statements…">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No statements yet">The first one appears after the end of this month.</EmptyState>
          ) : (
            <Table
              caption="Monthly statements"
              columns={[
                'Month',
                'For',
                num('Granted'),
                num('Bought'),
                num('Charged'),
                num('Refunded'),
                num('Adjusted'),
                num('Calls'),
              ]}
            >
              {items.map((s) => (
                <tr key={`${s.month}:${s.userId ?? ''}`}>
                  <Td className="whitespace-nowrap font-medium text-slate-900">{month(s.month)}</Td>
                  <Td className="whitespace-nowrap">{s.userId ? names.user(s.userId) : 'Whole workspace'}</Td>
                  <Td className="text-right tabular-nums">{formatCredits(s.granted)}</Td>
                  <Td className="text-right tabular-nums">{formatCredits(s.purchased)}</Td>
                  <Td className="text-right tabular-nums">{formatCredits(s.charged)}</Td>
                  <Td className="text-right tabular-nums">{formatCredits(s.refunded)}</Td>
                  <Td className="text-right tabular-nums">{formatSignedCredits(s.adjusted)}</Td>
                  <Td className="text-right tabular-nums">{formatCount(s.calls)}</Td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryState>
    </section>
  )
}
