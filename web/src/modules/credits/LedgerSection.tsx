import { keepPreviousData, useInfiniteQuery, useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canEdit, canManage } from '../../lib/roles.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { NO_FILTERS, creditKeys, downloadLedgerCsv, listLedger } from './api.ts'
import type { LedgerEntryDto, LedgerFilters as Filters } from './api.ts'
import { DisputeDialog } from './DisputeDialog.tsx'
import { LedgerFilters } from './LedgerFilters.tsx'
import { LedgerTable } from './LedgerTable.tsx'
import type { Names } from './queries.ts'

/** The ledger with filters, keyset "Load more", CSV export of what the filters select, and disputes on charges. */
export function LedgerSection({ names }: { names: Names }) {
  const { workspace, role } = useWorkspace()
  const { notify } = useToast()
  const [filters, setFilters] = useState<Filters>(NO_FILTERS)
  const [disputing, setDisputing] = useState<LedgerEntryDto | null>(null)
  // Typing a request id waits for a pause; the other filters apply at once.
  const requestId = useDebounced(filters.requestId.trim(), 300)
  const applied = {
    ...filters,
    requestId,
    ...(filters.from && filters.to && filters.from > filters.to ? { to: '' } : {}),
  }
  const query = useInfiniteQuery({
    queryKey: creditKeys.ledger(workspace.id, applied),
    queryFn: ({ pageParam, signal }) => listLedger(workspace.id, applied, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const csv = useMutation({
    mutationFn: () => downloadLedgerCsv(workspace.id, applied),
    onSuccess: (name) => notify(`Downloading ${name}`),
  })
  const filtered = Object.values(applied).some((v) => v !== '')
  const canDispute = (e: LedgerEntryDto) =>
    canEdit(role) && e.kind === 'debit' && e.amount < 0 && (e.userId === names.me || canManage(role))
  return (
    <section aria-labelledby="ledger-heading">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id="ledger-heading" className="text-lg font-semibold text-slate-900">
            Ledger
          </h2>
          <p className="text-sm text-slate-600">
            {canManage(role)
              ? 'Every credit added to or taken from this workspace.'
              : 'Credits added for you and the charges of your AI calls.'}
          </p>
        </div>
        <Button variant="secondary" pending={csv.isPending} onClick={() => csv.mutate()}>
          Export CSV
        </Button>
      </div>
      {csv.isError && (
        <Alert tone="error" className="mb-4">
          Could not export the ledger: {errorMessage(csv.error)}
        </Alert>
      )}
      <LedgerFilters value={filters} onChange={setFilters} names={names} />
      <QueryState query={query} label="Loading the ledger…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) {
            return filtered ? (
              <EmptyState title="No entries match">Try other filters, or clear them.</EmptyState>
            ) : (
              <EmptyState title="No ledger entries yet">
                Credits granted to the workspace and the charges of AI calls will be listed here.
              </EmptyState>
            )
          }
          return (
            <>
              <LedgerTable
                entries={items}
                names={names}
                canDispute={canDispute}
                onDispute={setDisputing}
                onRequest={(id) => setFilters({ ...NO_FILTERS, requestId: id })}
              />
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
      <DisputeDialog
        entry={disputing}
        modelName={names.model(disputing?.modelId ?? null)}
        onClose={() => setDisputing(null)}
      />
    </section>
  )
}
