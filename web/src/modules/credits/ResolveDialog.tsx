import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { creditKeys, resolveDispute } from './api.ts'
import type { DisputeDto } from './api.ts'
import { formatCredits } from './format.ts'

export type Resolution = { dispute: DisputeDto; decision: 'approve' | 'reject' }

/** An admin approves (the charge is refunded) or rejects a dispute, with a note the member will read. */
export function ResolveDialog({ target, openedBy, onClose }: { target: Resolution | null; openedBy: string; onClose: () => void }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [note, setNote] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const resolve = useMutation({
    mutationFn: ({ dispute, decision }: Resolution) => resolveDispute(workspace.id, dispute.id, decision, note.trim()),
    onSuccess: async (d) => {
      notify(d.status === 'approved' ? `Approved: ${formatCredits(d.amount < 0 ? -d.amount : d.amount)} credits refunded` : 'Dispute rejected')
      close()
      await qc.invalidateQueries({ queryKey: creditKeys.all(workspace.id) })
    },
  })
  const close = () => {
    setNote('')
    setLocal(null)
    resolve.reset()
    onClose()
  }
  const server = splitApiError(resolve.error, ['note'] as const)
  const approving = target?.decision === 'approve'
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!target) return
    if (!note.trim()) return setLocal(approving ? 'Add a note for the ledger, e.g. why it is refunded.' : 'Tell the member why the charge stands.')
    setLocal(null)
    resolve.mutate(target)
  }
  const amount = target ? formatCredits(Math.abs(target.dispute.amount)) : ''
  return (
    <Dialog open={target !== null} title={approving ? 'Approve and refund' : 'Reject the dispute'} onClose={resolve.isPending ? () => undefined : close}>
      {target && (
        <form onSubmit={submit} noValidate className="space-y-4">
          <p className="text-sm text-slate-700">
            {openedBy} disputed a charge of {amount} credits: “{target.dispute.reason}”
          </p>
          <p className="text-sm text-slate-700">
            {approving ? `A refund of ${amount} credits will be added to the ledger.` : 'The charge stays; the member sees your note.'}
          </p>
          {server.form && <Alert tone="error">{server.form}</Alert>}
          <Field label="Note" error={local ?? server.fields.note}>
            {(p) => <Textarea {...p} autoFocus value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close} disabled={resolve.isPending}>Cancel</Button>
            <Button type="submit" variant={approving ? 'primary' : 'danger'} pending={resolve.isPending}>{approving ? 'Approve and refund' : 'Reject'}</Button>
          </div>
        </form>
      )}
    </Dialog>
  )
}
