import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { TokenCreateBody } from '../../../../contracts/identity.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { CopyField } from '../../ui/CopyField.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { createToken, tokenKeys } from './api.ts'

const EXPIRY = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: '', label: 'Never' },
]

export function TokenCreateForm() {
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [expires, setExpires] = useState('90')
  const [local, setLocal] = useState<string | null>(null)
  const create = useMutation({
    mutationFn: (body: TokenCreateBody) => createToken(body),
    meta: { success: 'Token created: copy it now, it is shown once.' },
    onSuccess: async () => {
      setName('')
      await qc.invalidateQueries({ queryKey: tokenKeys.all })
    },
  })
  const server = splitApiError(create.error, ['name', 'expiresInDays'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setLocal('Give the token a name, e.g. “Reporting script”.')
    setLocal(null)
    create.mutate(expires ? { name: name.trim(), expiresInDays: Number(expires) } : { name: name.trim() })
  }
  return (
    <div className="space-y-4">
      {create.data && (
        <Alert tone="warning" title="Copy your new token now">
          <p>
            This is the only time “{create.data.apiToken.name}” is shown. Store it somewhere safe; if you lose it,
            revoke it and create another.
          </p>
          <CopyField value={create.data.token} testId="new-token" label="New API token" />
          <Button variant="ghost" className="mt-2" onClick={() => create.reset()}>
            I have saved it
          </Button>
        </Alert>
      )}
      <form onSubmit={submit} noValidate className="grid items-start gap-4 sm:grid-cols-[1fr_12rem_auto]">
        {server.form && (
          <Alert tone="error" className="sm:col-span-3">
            {server.form}
          </Alert>
        )}
        <Field label="Token name" error={local ?? server.fields.name}>
          {(p) => (
            <Input
              {...p}
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
              placeholder="Reporting script"
              required
            />
          )}
        </Field>
        <Field label="Expires after" error={server.fields.expiresInDays}>
          {(p) => (
            <Select {...p} value={expires} onChange={(e) => setExpires(e.target.value)}>
              {EXPIRY.map((o) => (
                <option key={o.label} value={o.value}>
                  {o.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button type="submit" className="sm:mt-6" pending={create.isPending}>
          Create token
        </Button>
      </form>
    </div>
  )
}
