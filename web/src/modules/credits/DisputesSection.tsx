import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { formatDateTime } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { Button } from '../../ui/Button.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { DISPUTE_STATUSES, creditKeys, listDisputes } from './api.ts'
import type { DisputeDto, DisputeStatus } from './api.ts'
import { Badge } from '../../ui/Badge.tsx'
import { DISPUTE_TONE } from './badges.ts'
import { formatCredits } from '../../lib/credits.ts'
import type { Names } from './queries.ts'
import { DisputeActionDialog } from './DisputeActionDialog.tsx'
import type { DisputeAction } from './DisputeActionDialog.tsx'

const STATUS_LABEL: Record<DisputeStatus, string> = {
  open: 'Open · waiting for the operator',
  approved: 'Approved · refunded',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
}

/** Who closed it: the operator decides; an admin may withdraw. */
const closedBy = (d: DisputeDto, names: Names) =>
  d.status === 'withdrawn' ? `Withdrawn by ${names.user(d.resolvedBy)}` : 'The Camarad operator'

function DisputeItem({
  d,
  names,
  admin,
  onAction,
}: {
  d: DisputeDto
  names: Names
  admin: boolean
  onAction: (a: DisputeAction) => void
}) {
  return (
    <li
      data-testid="dispute"
      data-status={d.status}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-medium text-slate-900">
            {formatCredits(Math.abs(d.amount))} credits · {names.model(d.modelId)}
          </p>
          <p className="text-xs text-slate-500">
            Opened by {names.user(d.openedBy)} on {formatDateTime(d.createdAt)} · request{' '}
            <code className="break-all">{d.requestId}</code>
          </p>
        </div>
        <Badge tone={DISPUTE_TONE[d.status]}>{STATUS_LABEL[d.status]}</Badge>
      </div>
      <p className="mt-2 text-sm whitespace-pre-wrap text-slate-800">{d.reason}</p>
      {d.notes.length > 0 && (
        <ul aria-label="Notes" className="mt-2 space-y-1">
          {d.notes.map((n) => (
            <li key={n.id} className="text-sm text-slate-700">
              <span className="font-medium">{names.user(n.authorId)}</span>, {formatDateTime(n.createdAt)}: {n.note}
            </li>
          ))}
        </ul>
      )}
      {d.status !== 'open' && (
        <p className="mt-2 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
          <span className="font-medium">{closedBy(d, names)}</span>, {formatDateTime(d.resolvedAt)}
          {d.resolutionNote ? `: ${d.resolutionNote}` : ''}
        </p>
      )}
      {admin && d.status === 'open' && (
        <div className="mt-3 flex gap-2">
          <Button
            variant="secondary"
            onClick={() => onAction({ dispute: d, action: 'note' })}
            aria-label={`Add a note to the dispute of ${names.user(d.openedBy)}`}
          >
            Add a note
          </Button>
          <Button
            variant="secondary"
            onClick={() => onAction({ dispute: d, action: 'withdraw' })}
            aria-label={`Withdraw the dispute of ${names.user(d.openedBy)}`}
          >
            Withdraw
          </Button>
        </div>
      )}
    </li>
  )
}

/** Disputes of charges: members see theirs; admins see all, add notes or withdraw them. The operator decides. */
export function DisputesSection({ names }: { names: Names }) {
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  const [status, setStatus] = useState<DisputeStatus | ''>('')
  const [target, setTarget] = useState<DisputeAction | null>(null)
  const query = useInfiniteQuery({
    queryKey: creditKeys.disputes(workspace.id, status),
    queryFn: ({ pageParam, signal }) => listDisputes(workspace.id, status, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  return (
    <section aria-labelledby="disputes-heading">
      <h2 id="disputes-heading" className="text-lg font-semibold text-slate-900">
        Disputes
      </h2>
      <p className="mb-3 max-w-prose text-sm text-slate-600">
        {admin
          ? 'Members dispute charges they think are wrong. The Camarad operator reviews each one: an approved ' +
            'dispute refunds the charge with a refund entry in the ledger. You can add a note for the operator or ' +
            'withdraw a dispute.'
          : 'Charges you disputed. Choose “Dispute” on a charge in the Ledger tab to ask for a refund; the Camarad operator decides.'}
      </p>
      <div className="mb-4 max-w-xs">
        <Field label="Status">
          {(p) => (
            <Select {...p} value={status} onChange={(e) => setStatus(e.target.value as DisputeStatus | '')}>
              <option value="">All disputes</option>
              {DISPUTE_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <QueryState query={query} label="Loading disputes…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) {
            return (
              <EmptyState title={status === 'open' ? 'No open disputes' : 'No disputes'}>
                {status ? 'Nothing with this status.' : 'Disputed charges will be listed here.'}
              </EmptyState>
            )
          }
          return (
            <>
              <ul aria-label="Disputes" className="space-y-3">
                {items.map((d) => (
                  <DisputeItem key={d.id} d={d} names={names} admin={admin} onAction={setTarget} />
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
      <DisputeActionDialog
        target={target}
        openedBy={names.user(target?.dispute.openedBy ?? null)}
        onClose={() => setTarget(null)}
      />
    </section>
  )
}
