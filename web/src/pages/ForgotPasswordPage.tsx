import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { isEmail, splitApiError } from '../lib/form-errors.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button } from '../ui/Button.tsx'
import { Field } from '../ui/Field.tsx'
import { Input } from '../ui/Input.tsx'
import { AuthCard } from './auth-shared.tsx'

/** Asks for a reset link; the answer is the same whether or not the email has an account. */
export function ForgotPasswordPage() {
  useTitle('Forgot your password')
  const [email, setEmail] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const request = useMutation({
    mutationFn: () =>
      api<{ accepted: true }>('/api/auth/password-reset', {
        method: 'POST',
        body: { email: email.trim() },
        redirectOn401: false,
      }),
  })
  const server = splitApiError(request.error, ['email'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const error = isEmail(email) ? null : 'Enter a valid email address.'
    setLocal(error)
    if (!error) request.mutate()
  }
  return (
    <AuthCard
      title="Forgot your password"
      subtitle={
        <>
          Remembered it?{' '}
          <Link to="/login" className="font-medium text-indigo-700 hover:underline">
            Log in
          </Link>
        </>
      }
    >
      {request.isSuccess ? (
        <Alert tone="success" title="Check your inbox">
          If an account uses {email.trim()}, we sent it a link to choose a new password. The link works once, for 30
          minutes.
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate className="space-y-4">
          {server.form && <Alert tone="error">{server.form}</Alert>}
          <Field label="Email" error={local ?? server.fields.email}>
            {(p) => (
              <Input
                {...p}
                type="email"
                autoComplete="email"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                required
                autoFocus
              />
            )}
          </Field>
          <Button type="submit" className="w-full" pending={request.isPending}>
            Email me a reset link
          </Button>
        </form>
      )}
    </AuthCard>
  )
}
