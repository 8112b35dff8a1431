import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { ClientDto, ClientPatch } from '../../../../contracts/tenancy.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { clientKeys, updateClient } from './api.ts'
import { CLIENT_FIELDS, ClientFields, validateClient } from './ClientFields.tsx'
import type { ClientErrors, ClientValues } from './ClientFields.tsx'

/** Only changed fields are sent; an empty website or notes clears it. */
const diff = (client: ClientDto, v: ClientValues): ClientPatch => {
  const patch: ClientPatch = {}
  if (v.name.trim() !== client.name) patch.name = v.name.trim()
  const website = v.website.trim() || null
  if (website !== client.website) patch.website = website
  const notes = v.notes.trim() || null
  if (notes !== (client.notes || null)) patch.notes = notes
  return patch
}

export function ClientEditForm({ client, onDone }: { client: ClientDto; onDone: () => void }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [values, setValues] = useState<ClientValues>({
    name: client.name,
    website: client.website ?? '',
    notes: client.notes ?? '',
  })
  const [local, setLocal] = useState<ClientErrors>({})
  const save = useMutation({
    mutationFn: (patch: ClientPatch) => updateClient(workspace.id, client.id, patch),
    onSuccess: async (updated) => {
      qc.setQueryData(clientKeys.detail(workspace.id, client.id), updated)
      notify('Client saved')
      onDone()
      await qc.invalidateQueries({
        queryKey: clientKeys.all(workspace.id),
        predicate: (q) => q.queryKey[2] !== 'detail',
      })
    },
  })
  const server = splitApiError(save.error, CLIENT_FIELDS)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const errors = validateClient(values)
    setLocal(errors)
    if (Object.keys(errors).length > 0) return
    const patch = diff(client, values)
    if (Object.keys(patch).length === 0) return onDone()
    save.mutate(patch)
  }
  return (
    <Card title="Edit client">
      <form onSubmit={submit} noValidate className="space-y-4">
        {server.form && <Alert tone="error">{server.form}</Alert>}
        <ClientFields values={values} onChange={setValues} errors={{ ...server.fields, ...local }} />
        <div className="flex gap-2">
          <Button type="submit" pending={save.isPending}>
            Save changes
          </Button>
          <Button variant="secondary" onClick={onDone} disabled={save.isPending}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  )
}
