import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { formatDateTime } from '../../lib/format.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { creditKeys, openDispute } from './api.ts'
import type { LedgerEntryDto } from './api.ts'
import { formatCredits } from '../../lib/credits.ts'

const MIN = 3
const MAX = 2000

/** Asks for a reason and opens a dispute on a charge; the Camarad operator then approves (refund) or rejects it. */
export function DisputeDialog({
  entry,
  modelName,
  onClose,
}: {
  entry: LedgerEntryDto | null
  modelName: string
  onClose: () => void
}) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [reason, setReason] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const open = useMutation({
    mutationFn: (body: { entryId: string; reason: string }) => openDispute(workspace.id, body),
    onSuccess: async () => {
      notify('Dispute sent: follow it in the Disputes tab.')
      close()
      await qc.invalidateQueries({ queryKey: creditKeys.all(workspace.id) })
    },
  })
  const close = () => {
    setReason('')
    setLocal(null)
    open.reset()
    onClose()
  }
  const server = splitApiError(open.error, ['reason', 'entryId'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!entry) return
    const text = reason.trim()
    if (text.length < MIN) return setLocal('Say what went wrong, in a few words at least.')
    setLocal(null)
    open.mutate({ entryId: entry.id, reason: text })
  }
  return (
    <Dialog open={entry !== null} title="Dispute this charge" onClose={open.isPending ? () => undefined : close}>
      {entry && (
        <form onSubmit={submit} noValidate className="space-y-4">
          <p className="text-sm text-slate-700">
            {formatCredits(-entry.amount)} credits charged on {formatDateTime(entry.createdAt)} for {modelName}. The
            Camarad operator reviews the dispute; if it is approved, the credits are refunded to the workspace. A charge
            can be disputed once.
          </p>
          {(server.form || server.fields.entryId) && <Alert tone="error">{server.form ?? server.fields.entryId}</Alert>}
          <Field
            label="What went wrong?"
            error={local ?? server.fields.reason}
            hint={`${reason.trim().length} / ${MAX} characters`}
          >
            {(p) => (
              <Textarea
                {...p}
                autoFocus
                value={reason}
                maxLength={MAX}
                onChange={(e) => setReason(e.target.value)}
                placeholder="The answer was cut off and I had to ask again."
              />
            )}
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close} disabled={open.isPending}>
              Cancel
            </Button>
            <Button type="submit" pending={open.isPending}>
              Send dispute
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  )
}
