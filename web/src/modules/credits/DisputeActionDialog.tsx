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
import { addDisputeNote, creditKeys, withdrawDispute } from './api.ts'
import type { DisputeDto } from './api.ts'
import { formatCredits } from '../../lib/credits.ts'

export type DisputeAction = { dispute: DisputeDto; action: 'note' | 'withdraw' }

/** A workspace admin adds a note for the operator, or withdraws the dispute. The operator alone decides refunds. */
export function DisputeActionDialog({
  target,
  openedBy,
  onClose,
}: {
  target: DisputeAction | null
  openedBy: string
  onClose: () => void
}) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [note, setNote] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const run = useMutation({
    mutationFn: ({ dispute, action }: DisputeAction) =>
      action === 'note'
        ? addDisputeNote(workspace.id, dispute.id, note.trim())
        : withdrawDispute(workspace.id, dispute.id, note.trim()),
    onSuccess: async (d) => {
      notify(d.status === 'withdrawn' ? 'Dispute withdrawn' : 'Note added for the operator')
      close()
      await qc.invalidateQueries({ queryKey: creditKeys.all(workspace.id) })
    },
  })
  const close = () => {
    setNote('')
    setLocal(null)
    run.reset()
    onClose()
  }
  const server = splitApiError(run.error, ['note'] as const)
  const withdrawing = target?.action === 'withdraw'
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!target) return
    if (!withdrawing && !note.trim()) return setLocal('Write the note the operator should read.')
    setLocal(null)
    run.mutate(target)
  }
  return (
    <Dialog
      open={target !== null}
      title={withdrawing ? 'Withdraw the dispute' : 'Add a note for the operator'}
      onClose={run.isPending ? () => undefined : close}
    >
      {target && (
        <form onSubmit={submit} noValidate className="space-y-4">
          <p className="text-sm text-slate-700">
            {openedBy} disputed a charge of {formatCredits(Math.abs(target.dispute.amount))} credits: “
            {target.dispute.reason}”
          </p>
          <p className="text-sm text-slate-700">
            {withdrawing
              ? 'The charge stays and cannot be disputed again.'
              : 'The Camarad operator reads your note before deciding.'}
          </p>
          {server.form && <Alert tone="error">{server.form}</Alert>}
          <Field label={withdrawing ? 'Why (optional)' : 'Note'} error={local ?? server.fields.note}>
            {(p) => (
              <Textarea {...p} autoFocus value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
            )}
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close} disabled={run.isPending}>
              Cancel
            </Button>
            <Button type="submit" variant={withdrawing ? 'danger' : 'primary'} pending={run.isPending}>
              {withdrawing ? 'Withdraw' : 'Add note'}
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  )
}
