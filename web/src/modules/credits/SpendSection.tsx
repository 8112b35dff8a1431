import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { creditKeys, getSpend } from './api.ts'
import type { SpendGroup } from './api.ts'
import { BarList, DayColumns, fillDays } from './Charts.tsx'
import { formatCredits } from '../../lib/credits.ts'
import type { Names } from './queries.ts'

const PERIODS = [7, 30, 90] as const

function useSpend(groupBy: SpendGroup, days: number) {
  const { workspace } = useWorkspace()
  return useQuery({
    queryKey: creditKeys.spend(workspace.id, groupBy, days),
    queryFn: ({ signal }) => getSpend(workspace.id, groupBy, days, signal),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  })
}

function Breakdown({
  title,
  groupBy,
  days,
  name,
  none,
}: {
  title: string
  groupBy: SpendGroup
  days: number
  name: (key: string) => string
  none: string
}) {
  const query = useSpend(groupBy, days)
  return (
    <Card title={title}>
      <QueryState query={query} label={`Loading ${title.toLowerCase()}…`}>
        {(data) =>
          data.rows.length === 0 ? (
            <p className="text-sm text-slate-600">No AI calls in this period.</p>
          ) : (
            <BarList
              label={title}
              rows={data.rows.map((r) => ({
                key: r.key,
                label: r.key ? name(r.key) : none,
                charged: r.charged,
                calls: r.calls,
              }))}
            />
          )
        }
      </QueryState>
    </Card>
  )
}

/** Credits charged per day (columns) and by model, agent and client (bars) over 7, 30 or 90 days. */
export function SpendSection({ names }: { names: Names }) {
  const { role } = useWorkspace()
  const [days, setDays] = useState<number>(30)
  const daily = useSpend('day', days)
  return (
    <section aria-labelledby="spend-heading" className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h2 id="spend-heading" className="text-lg font-semibold text-slate-900">
            Spend
          </h2>
          <p className="max-w-prose text-sm text-slate-600">
            {canManage(role)
              ? 'What every AI call in this workspace was charged.'
              : 'What your own AI calls in this workspace were charged.'}{' '}
            Calls on the offline model or on the workspace’s own provider keys cost nothing.
          </p>
        </div>
        <Field label="Period" className="w-40">
          {(p) => (
            <Select {...p} value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {PERIODS.map((d) => (
                <option key={d} value={d}>
                  Last {d} days
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <Card title="By day" description={daily.data ? `${formatCredits(daily.data.total)} credits in total` : undefined}>
        <QueryState query={daily} label="Loading spend…">
          {(data) =>
            data.rows.length === 0 ? (
              <EmptyState title="Nothing charged yet">Charges appear here after answers on a priced model.</EmptyState>
            ) : (
              <DayColumns days={fillDays(data.rows, data.from, data.to)} />
            )
          }
        </QueryState>
      </Card>
      <div className="grid gap-6 lg:grid-cols-3">
        <Breakdown title="By model" groupBy="model" days={days} name={names.model} none="Unknown model" />
        <Breakdown title="By agent" groupBy="agent" days={days} name={names.agent} none="No agent (API)" />
        <Breakdown title="By client" groupBy="client" days={days} name={names.client} none="No client" />
      </div>
    </section>
  )
}
