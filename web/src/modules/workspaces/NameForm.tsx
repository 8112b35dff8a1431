import { useState } from 'react'
import type { FormEvent } from 'react'
import { splitApiError } from '../../lib/form-errors.ts'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'

type Props = {
  initial?: string
  submitLabel: string
  pending: boolean
  error: unknown
  onSubmit: (name: string) => void
  onCancel: () => void
}

/** One "Workspace name" field with submit/cancel; used to create and to rename a workspace. */
export function WorkspaceNameForm({ initial = '', submitLabel, pending, error, onSubmit, onCancel }: Props) {
  const [name, setName] = useState(initial)
  const [localError, setLocalError] = useState<string | null>(null)
  const server = splitApiError(error, ['name'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setLocalError('Enter a workspace name.')
    setLocalError(null)
    onSubmit(name.trim())
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <Field label="Workspace name" error={localError ?? server.fields.name}>
        {(p) => (
          <Input {...p} value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required autoFocus />
        )}
      </Field>
      {server.form && (
        <p role="alert" className="text-sm text-red-700">
          {server.form}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel} disabled={pending}>
          Cancel
        </Button>
        <Button type="submit" pending={pending}>
          {submitLabel}
        </Button>
      </div>
    </form>
  )
}
