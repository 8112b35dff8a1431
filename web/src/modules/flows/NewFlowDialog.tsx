import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { flowPath } from '../../../../contracts/app-paths.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { Input, Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { createFlow, flowKeys } from './api.ts'

/** A new, empty flow for the client; the canvas opens on it. */
export function NewFlowDialog({ clientId, open, onClose }: { clientId: string; open: boolean; onClose: () => void }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [missing, setMissing] = useState(false)
  const create = useMutation({
    mutationFn: () =>
      createFlow(clientId, { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) }),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: flowKeys.lists })
      notify('Flow created')
      navigate(flowPath(f.id))
    },
  })
  const errors = splitApiError(create.error, ['name', 'description'] as const)
  return (
    <Dialog open={open} title="New flow" onClose={onClose}>
      <form
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          if (!name.trim()) return setMissing(true)
          create.mutate()
        }}
      >
        <FormError error={create.error} message={errors.form} />
        <Field label="Name" error={missing && !name.trim() ? 'Give the flow a name.' : errors.fields.name}>
          {(c) => <Input {...c} autoFocus maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description (optional)" error={errors.fields.description}>
          {(c) => (
            <Textarea {...c} maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
          )}
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={create.isPending}>
            Create
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
