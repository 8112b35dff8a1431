import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Link } from 'react-router'
import type { UserDto } from '../../../contracts/identity.ts'
import { refreshSession } from '../app/session.ts'
import { api } from '../lib/api.ts'
import { isEmail, splitApiError } from '../lib/form-errors.ts'
import type { FieldErrors } from '../lib/form-errors.ts'
import { withNext } from '../lib/navigation.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button } from '../ui/Button.tsx'
import { Field } from '../ui/Field.tsx'
import { Input } from '../ui/Input.tsx'
import { AuthCard, GoogleButton, SignedOutOnly, useNext } from './auth-shared.tsx'

const FIELDS = ['email', 'password'] as const

function LoginForm({ googleEnabled }: { googleEnabled: boolean }) {
  const qc = useQueryClient()
  const next = useNext()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [local, setLocal] = useState<FieldErrors<(typeof FIELDS)[number]>>({})
  const login = useMutation({
    mutationFn: () =>
      api<{ user: UserDto }>('/api/auth/login', {
        method: 'POST',
        body: { email: email.trim(), password },
        redirectOn401: false,
      }),
    onSuccess: () => refreshSession(qc),
  })
  const server = splitApiError(login.error, FIELDS)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const errors: typeof local = {}
    if (!isEmail(email)) errors.email = 'Enter a valid email address.'
    if (!password) errors.password = 'Enter your password.'
    setLocal(errors)
    if (Object.keys(errors).length === 0) login.mutate()
  }
  return (
    <AuthCard
      title="Log in"
      subtitle={
        <>
          New to Camarad?{' '}
          <Link to={withNext('/signup', next)} className="font-medium text-indigo-700 hover:underline">
            Create an account
          </Link>
        </>
      }
    >
      {googleEnabled && <GoogleButton />}
      <form onSubmit={submit} noValidate className="space-y-4">
        {server.form && <Alert tone="error">{server.form}</Alert>}
        <Field label="Email" error={local.email ?? server.fields.email}>
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
        <Field label="Password" error={local.password ?? server.fields.password}>
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        <Button type="submit" className="w-full" pending={login.isPending}>
          Log in
        </Button>
        <p className="text-center text-sm">
          <Link to="/forgot-password" className="font-medium text-indigo-700 hover:underline">
            Forgot your password?
          </Link>
        </p>
      </form>
    </AuthCard>
  )
}

export function LoginPage() {
  useTitle('Log in')
  return <SignedOutOnly>{(status) => <LoginForm googleEnabled={status.googleEnabled} />}</SignedOutOnly>
}
