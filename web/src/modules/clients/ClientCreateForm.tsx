import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { ClientCreate } from '../../../../contracts/tenancy.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { splitApiError } from '../../lib/form-errors.ts'
import { FormError } from '../../ui/FormError.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { clientKeys, createClient } from './api.ts'
import { CLIENT_FIELDS, ClientFields, EMPTY_CLIENT, validateClient } from './ClientFields.tsx'
import type { ClientErrors, ClientValues } from './ClientFields.tsx'

export function ClientCreateForm() {
  const { workspace, storedClientId, selectClient } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [values, setValues] = useState<ClientValues>(EMPTY_CLIENT)
  const [local, setLocal] = useState<ClientErrors>({})
  const create = useMutation({
    mutationFn: (body: ClientCreate) => createClient(workspace.id, body),
    onSuccess: async (client) => {
      setValues(EMPTY_CLIENT)
      if (!storedClientId) selectClient(client.id)
      notify(`Client “${client.name}” added`)
      await qc.invalidateQueries({ queryKey: clientKeys.all(workspace.id) })
    },
  })
  const server = splitApiError(create.error, CLIENT_FIELDS)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const errors = validateClient(values)
    setLocal(errors)
    if (Object.keys(errors).length > 0) return
    const body: ClientCreate = { name: values.name.trim() }
    if (values.website.trim()) body.website = values.website.trim()
    if (values.notes.trim()) body.notes = values.notes.trim()
    create.mutate(body)
  }
  return (
    <Card title="Add a client" description="Clients hold their own agents, data connections and conversations.">
      <form onSubmit={submit} noValidate className="space-y-4">
        <FormError error={create.error} message={server.form} />
        <ClientFields values={values} onChange={setValues} errors={{ ...server.fields, ...local }} />
        <Button type="submit" pending={create.isPending}>
          Add client
        </Button>
      </form>
    </Card>
  )
}
