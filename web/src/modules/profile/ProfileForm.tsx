import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { AuthStatus } from '../../../../contracts/identity.ts'
import { authStatusKey } from '../../app/session.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { updateProfile } from './api.ts'

export function ProfileForm({ initialName }: { initialName: string }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [name, setName] = useState(initialName)
  const [local, setLocal] = useState<string | null>(null)
  const save = useMutation({
    mutationFn: () => updateProfile(name.trim()),
    onSuccess: ({ user }) => {
      qc.setQueryData<AuthStatus>(authStatusKey, (old) => (old ? { ...old, user } : old))
      notify('Profile saved')
    },
  })
  const server = splitApiError(save.error, ['name'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setLocal('Enter your name.')
    setLocal(null)
    save.mutate()
  }
  return (
    <form onSubmit={submit} noValidate className="max-w-md space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      <Field label="Name" error={local ?? server.fields.name}>
        {(p) => (
          <Input
            {...p}
            autoComplete="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={100}
            required
          />
        )}
      </Field>
      <Button type="submit" pending={save.isPending} disabled={name.trim() === initialName}>
        Save name
      </Button>
    </form>
  )
}
