import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { splitApiError } from '../../lib/form-errors.ts'
import type { FieldErrors } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { changePassword } from './api.ts'

const FIELDS = ['currentPassword', 'newPassword'] as const
type Errors = FieldErrors<(typeof FIELDS)[number] | 'confirm'>
const EMPTY = { currentPassword: '', newPassword: '', confirm: '' }

export function PasswordForm() {
  const [values, setValues] = useState(EMPTY)
  const [local, setLocal] = useState<Errors>({})
  const change = useMutation({
    mutationFn: () => changePassword({ currentPassword: values.currentPassword, newPassword: values.newPassword }),
    meta: { success: 'Your password is changed.' },
    onSuccess: () => setValues(EMPTY),
  })
  const server = splitApiError(change.error, FIELDS)
  const set = (key: keyof typeof EMPTY) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const errors: Errors = {}
    if (!values.currentPassword) errors.currentPassword = 'Enter your current password.'
    if (values.newPassword.length < 10) errors.newPassword = 'Use at least 10 characters.'
    if (values.confirm !== values.newPassword) errors.confirm = 'The two new passwords do not match.'
    setLocal(errors)
    if (Object.keys(errors).length === 0) change.mutate()
  }
  return (
    <form onSubmit={submit} noValidate className="max-w-md space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      {change.isSuccess && <Alert tone="success">Password changed.</Alert>}
      <Field label="Current password" error={local.currentPassword ?? server.fields.currentPassword}>
        {(p) => (
          <Input
            {...p}
            type="password"
            autoComplete="current-password"
            value={values.currentPassword}
            onChange={set('currentPassword')}
            required
          />
        )}
      </Field>
      <Field label="New password" hint="At least 10 characters." error={local.newPassword ?? server.fields.newPassword}>
        {(p) => (
          <Input
            {...p}
            type="password"
            autoComplete="new-password"
            value={values.newPassword}
            onChange={set('newPassword')}
            maxLength={200}
            required
          />
        )}
      </Field>
      <Field label="Repeat new password" error={local.confirm}>
        {(p) => (
          <Input
            {...p}
            type="password"
            autoComplete="new-password"
            value={values.confirm}
            onChange={set('confirm')}
            maxLength={200}
            required
          />
        )}
      </Field>
      <Button type="submit" pending={change.isPending}>
        Change password
      </Button>
    </form>
  )
}
