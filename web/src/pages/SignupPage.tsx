import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Link } from 'react-router'
import type { UserDto } from '../../../contracts/identity.ts'
import { refreshSession } from '../app/session.ts'
import { api, isApiError } from '../lib/api.ts'
import { isEmail, splitApiError } from '../lib/form-errors.ts'
import type { FieldErrors } from '../lib/form-errors.ts'
import { withNext } from '../lib/navigation.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button } from '../ui/Button.tsx'
import { Field } from '../ui/Field.tsx'
import { Input } from '../ui/Input.tsx'
import { AuthCard, GoogleButton, SignedOutOnly, useNext } from './auth-shared.tsx'

const FIELDS = ['name', 'email', 'password'] as const
type Errors = FieldErrors<(typeof FIELDS)[number]>

const validate = (v: { name: string; email: string; password: string }): Errors => {
  const errors: Errors = {}
  if (!v.name.trim()) errors.name = 'Enter your name.'
  if (!isEmail(v.email)) errors.email = 'Enter a valid email address.'
  if (v.password.length < 10) errors.password = 'Use at least 10 characters.'
  return errors
}

function SignupForm({ googleEnabled }: { googleEnabled: boolean }) {
  const qc = useQueryClient()
  const next = useNext()
  const [values, setValues] = useState({ name: '', email: '', password: '' })
  const [local, setLocal] = useState<Errors>({})
  const signup = useMutation({
    mutationFn: () =>
      api<{ user: UserDto }>('/api/auth/signup', {
        method: 'POST',
        body: { ...values, name: values.name.trim(), email: values.email.trim() },
      }),
    onSuccess: () => refreshSession(qc),
  })
  const server = splitApiError(signup.error, FIELDS)
  // map known business errors onto their field
  for (const [code, field] of [
    ['auth.email_taken', 'email'],
    ['auth.weak_password', 'password'],
  ] as const) {
    if (isApiError(signup.error, code)) {
      server.fields[field] = signup.error.message
      server.form = null
    }
  }
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const errors = validate(values)
    setLocal(errors)
    if (Object.keys(errors).length === 0) signup.mutate()
  }
  return (
    <AuthCard
      title="Create your account"
      subtitle={
        <>
          Already have an account?{' '}
          <Link to={withNext('/login', next)} className="font-medium text-indigo-700 hover:underline">
            Log in instead
          </Link>
        </>
      }
    >
      {googleEnabled && <GoogleButton />}
      <form onSubmit={submit} noValidate className="space-y-4">
        {server.form && <Alert tone="error">{server.form}</Alert>}
        <Field label="Name" error={local.name ?? server.fields.name}>
          {(p) => (
            <Input
              {...p}
              autoComplete="name"
              value={values.name}
              onChange={set('name')}
              maxLength={100}
              required
              autoFocus
            />
          )}
        </Field>
        <Field label="Email" error={local.email ?? server.fields.email}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="email"
              value={values.email}
              onChange={set('email')}
              maxLength={254}
              required
            />
          )}
        </Field>
        <Field label="Password" hint="At least 10 characters." error={local.password ?? server.fields.password}>
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="new-password"
              value={values.password}
              onChange={set('password')}
              maxLength={200}
              required
            />
          )}
        </Field>
        <Button type="submit" className="w-full" pending={signup.isPending}>
          Create account
        </Button>
        <p className="text-xs text-slate-500">
          By creating an account you agree to the{' '}
          <Link to="/terms" className="underline">
            Terms
          </Link>{' '}
          and{' '}
          <Link to="/privacy" className="underline">
            Privacy policy
          </Link>
          .
        </p>
      </form>
    </AuthCard>
  )
}

export function SignupPage() {
  useTitle('Sign up')
  return <SignedOutOnly>{(status) => <SignupForm googleEnabled={status.googleEnabled} />}</SignedOutOnly>
}
