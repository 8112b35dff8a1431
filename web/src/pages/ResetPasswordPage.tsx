import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import type { UserDto } from '../../../contracts/identity.ts'
import { homeFor, refreshSession } from '../app/session.ts'
import { api, isApiError } from '../lib/api.ts'
import { splitApiError } from '../lib/form-errors.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button } from '../ui/Button.tsx'
import { Field } from '../ui/Field.tsx'
import { Input } from '../ui/Input.tsx'
import { AuthCard } from './auth-shared.tsx'

/** The page the reset email links to: a new password, then signed in (every other session and API token ended). */
export function ResetPasswordPage() {
  useTitle('Choose a new password')
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const [password, setPassword] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const reset = useMutation({
    mutationFn: () =>
      api<{ user: UserDto }>('/api/auth/password-reset/confirm', {
        method: 'POST',
        body: { token, password },
        redirectOn401: false,
      }),
    onSuccess: async () => navigate(homeFor(await refreshSession(qc), null), { replace: true }),
  })
  const server = splitApiError(reset.error, ['password'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const error = password.length < 10 ? 'Use at least 10 characters.' : null
    setLocal(error)
    if (!error) reset.mutate()
  }
  // A truncated or mangled token fails validation (request.invalid, not about the password): the same dead link.
  const dead =
    isApiError(reset.error, 'auth.link_invalid') ||
    (isApiError(reset.error, 'request.invalid') && !server.fields.password) ||
    !token
  return (
    <AuthCard
      title="Choose a new password"
      subtitle="Saving it signs you out everywhere else and revokes your API tokens."
    >
      {dead ? (
        <Alert tone="error" title="This link does not work">
          It was used already or it expired (links last 30 minutes).{' '}
          <Link to="/forgot-password" className="font-medium underline">
            Ask for a new one
          </Link>
          .
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate className="space-y-4">
          {server.form && <Alert tone="error">{server.form}</Alert>}
          <Field
            label="New password"
            error={local ?? server.fields.password}
            hint="At least 10 characters; a phrase is easiest to remember."
          >
            {(p) => (
              <Input
                {...p}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                autoFocus
              />
            )}
          </Field>
          <Button type="submit" className="w-full" pending={reset.isPending}>
            Save and sign in
          </Button>
        </form>
      )}
    </AuthCard>
  )
}
