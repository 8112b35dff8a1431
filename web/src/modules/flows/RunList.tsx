import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { flowPath, flowRunPath } from '../../../../contracts/app-paths.ts'
import type { RunStatus, RunTrigger } from '../../../../contracts/flows.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td, num } from '../../ui/Table.tsx'
import { flowKeys, listRuns } from './api.ts'
import type { RunFilters } from './api.ts'
import { RUN_STATUS_LABEL, RUN_STATUS_TONE, TRIGGER_LABEL, formatDuration, formatRunCredits } from './status.ts'

type Props = { clientId: string; filters: RunFilters; onFilters: (f: RunFilters) => void }

/** The client's runs, newest first, filtered by status, trigger and flow. */
export function RunList({ clientId, filters, onFilters }: Props) {
  const query = useInfiniteQuery({
    queryKey: flowKeys.runList(clientId, filters),
    queryFn: ({ pageParam, signal }) => listRuns(clientId, filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const filtered = !!(filters.status || filters.trigger || filters.flowId)
  return (
    <>
      <div role="search" className="mb-4 flex flex-wrap items-end gap-3">
        <div className="space-y-1">
          <label htmlFor="run-status" className="block text-sm font-medium text-slate-800">
            Status
          </label>
          <Select
            id="run-status"
            className="w-auto"
            value={filters.status ?? ''}
            onChange={(e) => onFilters({ ...filters, status: (e.target.value || undefined) as RunStatus | undefined })}
          >
            <option value="">Any</option>
            {(Object.keys(RUN_STATUS_LABEL) as RunStatus[]).map((s) => (
              <option key={s} value={s}>
                {RUN_STATUS_LABEL[s]}
              </option>
            ))}
          </Select>
        </div>
        <div className="space-y-1">
          <label htmlFor="run-trigger" className="block text-sm font-medium text-slate-800">
            Trigger
          </label>
          <Select
            id="run-trigger"
            className="w-auto"
            value={filters.trigger ?? ''}
            onChange={(e) =>
              onFilters({ ...filters, trigger: (e.target.value || undefined) as RunTrigger | undefined })
            }
          >
            <option value="">Any</option>
            {(Object.keys(TRIGGER_LABEL) as RunTrigger[]).map((t) => (
              <option key={t} value={t}>
                {TRIGGER_LABEL[t]}
              </option>
            ))}
          </Select>
        </div>
        {filters.flowId && (
          <button
            type="button"
            className="pb-2 text-sm font-medium text-indigo-700 hover:underline"
            onClick={() => onFilters({ ...filters, flowId: undefined })}
          >
            Show runs of every flow
          </button>
        )}
      </div>
      <QueryState query={query} label="Loading runs…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return (
              <EmptyState title={filtered ? 'No runs match' : 'No runs yet'}>
                {filtered ? 'Try other filters.' : 'Runs show up here when a flow is triggered or tested.'}
              </EmptyState>
            )
          return (
            <>
              <Table
                caption="Flow runs"
                columns={['Run', 'Flow', 'Status', 'Trigger', num('Steps'), num('Duration'), num('Credits')]}
              >
                {items.map((r) => (
                  <tr key={r.id}>
                    <Td className="whitespace-nowrap">
                      <Link to={flowRunPath(r.id)} className="font-medium text-indigo-700 hover:underline">
                        {formatDateTime(r.createdAt)}
                      </Link>
                    </Td>
                    <Td>
                      <Link to={flowPath(r.flowId)} className="hover:underline">
                        {r.flowName}
                      </Link>
                      <span className="ml-1 text-xs text-slate-500">
                        {r.versionNumber === null ? 'draft' : `v${r.versionNumber}`}
                      </span>
                    </Td>
                    <Td>
                      <Badge tone={RUN_STATUS_TONE[r.status]}>{RUN_STATUS_LABEL[r.status]}</Badge>
                    </Td>
                    <Td>{TRIGGER_LABEL[r.trigger]}</Td>
                    <Td className="text-right tabular-nums">{r.steps}</Td>
                    <Td className="text-right tabular-nums">{formatDuration(r.durationMs)}</Td>
                    <Td className="text-right tabular-nums">{formatRunCredits(r.credits)}</Td>
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
