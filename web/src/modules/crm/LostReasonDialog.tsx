import { useState } from 'react'
import type { FormEvent } from 'react'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Textarea } from '../../ui/Input.tsx'

/** Asks why a deal was lost before it moves to a lost stage (the server requires a reason). */
export function LostReasonDialog({
  open,
  title,
  onCancel,
  onConfirm,
}: {
  open: boolean
  title: string
  onCancel: () => void
  onConfirm: (reason: string) => void
}) {
  return (
    <Dialog open={open} title={title} onClose={onCancel}>
      <ReasonForm onCancel={onCancel} onConfirm={onConfirm} />
    </Dialog>
  )
}

function ReasonForm({ onCancel, onConfirm }: { onCancel: () => void; onConfirm: (reason: string) => void }) {
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!reason.trim()) return setError('Say why, in a few words.')
    onConfirm(reason.trim())
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <Field label="Reason" error={error}>
        {(p) => (
          <Textarea {...p} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} autoFocus />
        )}
      </Field>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" variant="danger">
          Mark lost
        </Button>
      </div>
    </form>
  )
}
