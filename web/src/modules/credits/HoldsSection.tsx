import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { formatDateTime } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { HOLD_STATUSES, creditKeys, listHolds } from './api.ts'
import type { HoldStatus } from './api.ts'
import { Badge } from '../../ui/Badge.tsx'
import { HOLD_TONE, surfaceLabel } from './badges.ts'
import { num } from '../../ui/Table.tsx'
import { formatCredits } from '../../lib/credits.ts'
import type { Names } from './queries.ts'

const STATUS_LABEL: Record<HoldStatus, string> = {
  pending: 'In progress',
  settled: 'Settled',
  released: 'Released',
  expired: 'Expired',
}

/** Credits reserved when a call starts (its estimate) and what it was charged once it ended. */
export function HoldsSection({ names }: { names: Names }) {
  const { workspace, role } = useWorkspace()
  const [status, setStatus] = useState<HoldStatus | ''>('')
  const query = useInfiniteQuery({
    queryKey: creditKeys.holds(workspace.id, status),
    queryFn: ({ pageParam, signal }) => listHolds(workspace.id, status, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  return (
    <section aria-labelledby="holds-heading">
      <h2 id="holds-heading" className="text-lg font-semibold text-slate-900">
        Holds
      </h2>
      <p className="mb-3 max-w-prose text-sm text-slate-600">
        When an AI call starts, its most expensive outcome is set aside; when it ends, only what it used is charged and
        the rest is released.
        {canManage(role) ? '' : ' Only your own calls are listed.'}
      </p>
      <div className="mb-4 max-w-xs">
        <Field label="Status">
          {(p) => (
            <Select {...p} value={status} onChange={(e) => setStatus(e.target.value as HoldStatus | '')}>
              <option value="">All statuses</option>
              {HOLD_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <QueryState query={query} label="Loading holds…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return (
              <EmptyState title={status ? 'No holds with this status' : 'No holds yet'}>
                Each priced AI call places one while it runs.
              </EmptyState>
            )
          return (
            <>
              <Table
                caption="Credit holds, newest first"
                columns={['Started', 'Status', num('Held'), num('Charged'), 'Model', 'Where', 'Client · member']}
              >
                {items.map((h) => (
                  <tr key={h.id}>
                    <Td className="whitespace-nowrap">{formatDateTime(h.createdAt)}</Td>
                    <Td>
                      <Badge tone={HOLD_TONE[h.status]}>{STATUS_LABEL[h.status]}</Badge>
                    </Td>
                    <Td className="text-right tabular-nums">{formatCredits(h.amount)}</Td>
                    <Td className="text-right tabular-nums">{h.charged === null ? '—' : formatCredits(h.charged)}</Td>
                    <Td className="whitespace-nowrap">{names.model(h.modelId)}</Td>
                    <Td className="whitespace-nowrap">{surfaceLabel(h.surface)}</Td>
                    <Td className="whitespace-nowrap">
                      {names.client(h.clientId)}
                      <span className="block text-xs text-slate-500">{names.user(h.userId)}</span>
                    </Td>
                  </tr>
                ))}
              </Table>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </section>
  )
}
