import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select, Textarea } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { DISPUTE_STATUSES } from '../credits/index.ts'
import { Badge } from '../../ui/Badge.tsx'
import { DISPUTE_TONE } from '../credits/index.ts'
import { formatCredits } from '../../lib/credits.ts'
import { operatorKeys } from './api.ts'
import type { DisputeDto, OperatorApi } from './api.ts'

type Decision = { dispute: DisputeDto; decision: 'approve' | 'reject' }
const LABEL: Record<DisputeDto['status'], string> = {
  open: 'Open',
  approved: 'Approved · refunded',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
}

/** Approve (the charge is refunded once) or reject, with a note the workspace reads. */
function DecideDialog({ api, target, onClose }: { api: OperatorApi; target: Decision | null; onClose: () => void }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [note, setNote] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const decide = useMutation({
    mutationFn: ({ dispute, decision }: Decision) => api.decideDispute(dispute.id, decision, note.trim()),
    onSuccess: async (d) => {
      notify(
        d.status === 'approved'
          ? `Approved: ${formatCredits(Math.abs(d.amount))} credits refunded to ${d.workspaceId}`
          : 'Dispute rejected',
      )
      close()
      await qc.invalidateQueries({ queryKey: ['operator', 'disputes'] })
    },
  })
  const close = () => {
    setNote('')
    setLocal(null)
    decide.reset()
    onClose()
  }
  const approving = target?.decision === 'approve'
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!target) return
    if (!note.trim())
      return setLocal(
        approving
          ? 'Say why it is refunded: the workspace reads this note.'
          : 'Say why the charge stands: the workspace reads this note.',
      )
    setLocal(null)
    decide.mutate(target)
  }
  return (
    <Dialog
      open={target !== null}
      title={approving ? 'Approve and refund' : 'Reject the dispute'}
      onClose={decide.isPending ? () => undefined : close}
    >
      {target && (
        <form onSubmit={submit} noValidate className="space-y-4">
          <p className="text-sm text-slate-700">
            Workspace <code>{target.dispute.workspaceId}</code> disputes a charge of{' '}
            {formatCredits(Math.abs(target.dispute.amount))} credits: “{target.dispute.reason}”
          </p>
          <p className="text-sm text-slate-700">
            {approving
              ? `A refund of ${formatCredits(Math.abs(target.dispute.amount))} credits is added to the workspace's ledger, once.`
              : 'The charge stays.'}
          </p>
          {decide.isError && <Alert tone="error">{errorMessage(decide.error)}</Alert>}
          <Field label="Decision note" error={local}>
            {(p) => (
              <Textarea {...p} autoFocus value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
            )}
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close} disabled={decide.isPending}>
              Cancel
            </Button>
            <Button type="submit" variant={approving ? 'primary' : 'danger'} pending={decide.isPending}>
              {approving ? 'Approve and refund' : 'Reject'}
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  )
}

function DisputeCard({ d, onDecide }: { d: DisputeDto; onDecide: (x: Decision) => void }) {
  const amount = formatCredits(Math.abs(d.amount))
  return (
    <li
      data-testid="operator-dispute"
      data-status={d.status}
      data-dispute-id={d.id}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-medium text-slate-900">
            {amount} credits · {d.modelId ?? 'unknown model'}
          </p>
          <p className="text-xs text-slate-500">
            Workspace <code className="break-all">{d.workspaceId}</code> · filed by <code>{d.openedBy}</code> on{' '}
            {formatDateTime(d.createdAt)} · request <code className="break-all">{d.requestId}</code> · entry{' '}
            <code className="break-all">{d.entryId}</code>
          </p>
        </div>
        <Badge tone={DISPUTE_TONE[d.status]}>{LABEL[d.status]}</Badge>
      </div>
      <p className="mt-2 text-sm whitespace-pre-wrap text-slate-800">{d.reason}</p>
      {d.notes.length > 0 && (
        <ul aria-label="Notes from the workspace" className="mt-2 space-y-1">
          {d.notes.map((n) => (
            <li key={n.id} className="text-sm text-slate-700">
              <code>{n.authorId}</code>, {formatDateTime(n.createdAt)}: {n.note}
            </li>
          ))}
        </ul>
      )}
      {d.status !== 'open' && (
        <p className="mt-2 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
          {d.status === 'withdrawn' ? (
            <>
              Withdrawn by <code>{d.resolvedBy}</code>
            </>
          ) : (
            'Decided by the operator'
          )}
          , {formatDateTime(d.resolvedAt)}
          {d.resolutionNote ? `: ${d.resolutionNote}` : ''}
        </p>
      )}
      {d.status === 'open' && (
        <div className="mt-3 flex gap-2">
          <Button
            onClick={() => onDecide({ dispute: d, decision: 'approve' })}
            aria-label={`Approve the dispute of ${amount} credits from workspace ${d.workspaceId} and refund it`}
          >
            Approve
          </Button>
          <Button
            variant="secondary"
            onClick={() => onDecide({ dispute: d, decision: 'reject' })}
            aria-label={`Reject the dispute of ${amount} credits from workspace ${d.workspaceId}`}
          >
            Reject
          </Button>
        </div>
      )}
    </li>
  )
}

/** Disputes of every workspace, open ones first: only the operator approves (a refund) or rejects them. */
export function DisputesTab({ api }: { api: OperatorApi }) {
  const [status, setStatus] = useState<DisputeDto['status'] | ''>('')
  const [target, setTarget] = useState<Decision | null>(null)
  const disputes = useQuery({
    queryKey: operatorKeys.disputes(status),
    queryFn: ({ signal }) => api.disputes(status, signal),
    placeholderData: keepPreviousData,
  })
  return (
    <section aria-labelledby="disputes-heading" className="space-y-3">
      <h2 id="disputes-heading" className="text-lg font-semibold text-slate-900">
        Disputes
      </h2>
      <p className="max-w-prose text-sm text-slate-600">
        Charges members dispute, across every workspace. Open ones come first, oldest waiting first. Approving refunds
        the charge once with a refund entry; workspaces read your note.
      </p>
      <div className="max-w-xs">
        <Field label="Status">
          {(p) => (
            <Select {...p} value={status} onChange={(e) => setStatus(e.target.value as DisputeDto['status'] | '')}>
              <option value="">Open first, then the rest</option>
              {DISPUTE_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {LABEL[s]}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <QueryState query={disputes} label="Loading disputes…">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title={status === 'open' || !status ? 'No open disputes' : 'No disputes'}>
              {status ? 'Nothing with this status.' : 'Disputes filed by workspaces appear here.'}
            </EmptyState>
          ) : (
            <ul aria-label="Disputes" className="space-y-3">
              {items.map((d) => (
                <DisputeCard key={d.id} d={d} onDecide={setTarget} />
              ))}
            </ul>
          )
        }
      </QueryState>
      <DecideDialog api={api} target={target} onClose={() => setTarget(null)} />
    </section>
  )
}
