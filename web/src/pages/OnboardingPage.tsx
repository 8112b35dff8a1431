import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Navigate, useSearchParams } from 'react-router'
import type { ClientDto, WorkspaceDto } from '../../../contracts/tenancy.ts'
import { RequireAuth } from '../app/guards.tsx'
import { refreshSession, useSignOut } from '../app/session.ts'
import { rememberClient, rememberWorkspace } from '../app/workspace.tsx'
import { api } from '../lib/api.ts'
import { splitApiError } from '../lib/form-errors.ts'
import { BILLING_PATH } from '../lib/plan-limit.ts'
import type { FieldErrors } from '../lib/form-errors.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button } from '../ui/Button.tsx'
import { Field } from '../ui/Field.tsx'
import { Input } from '../ui/Input.tsx'
import { AuthCard } from './auth-shared.tsx'

const FIELDS = ['workspaceName', 'clientName'] as const
type Errors = FieldErrors<(typeof FIELDS)[number]>

function OnboardingForm({ userName }: { userName: string }) {
  const qc = useQueryClient()
  const signOut = useSignOut()
  const [values, setValues] = useState({ workspaceName: '', clientName: '' })
  const [local, setLocal] = useState<Errors>({})
  const onboard = useMutation({
    mutationFn: () =>
      api<{ workspace: WorkspaceDto; client: ClientDto }>('/api/auth/onboarding', {
        method: 'POST',
        body: { workspaceName: values.workspaceName.trim(), clientName: values.clientName.trim() },
      }),
    onSuccess: async ({ workspace, client }) => {
      rememberWorkspace(workspace.id)
      rememberClient(workspace.id, client.id)
      await refreshSession(qc)
    },
  })
  const server = splitApiError(onboard.error, FIELDS)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const errors: Errors = {}
    if (!values.workspaceName.trim()) errors.workspaceName = 'Name your workspace, e.g. your agency’s name.'
    if (!values.clientName.trim()) errors.clientName = 'Enter the name of a client you work for.'
    setLocal(errors)
    if (Object.keys(errors).length === 0) onboard.mutate()
  }
  return (
    <AuthCard
      title={`Welcome, ${userName}`}
      subtitle="Set up your workspace and your first client. You can add more later."
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        {server.form && <Alert tone="error">{server.form}</Alert>}
        <Field
          label="Workspace name"
          hint="Usually your agency or company name."
          error={local.workspaceName ?? server.fields.workspaceName}
        >
          {(p) => (
            <Input
              {...p}
              value={values.workspaceName}
              onChange={(e) => setValues((v) => ({ ...v, workspaceName: e.target.value }))}
              maxLength={100}
              required
              autoFocus
            />
          )}
        </Field>
        <Field label="First client name" error={local.clientName ?? server.fields.clientName}>
          {(p) => (
            <Input
              {...p}
              value={values.clientName}
              onChange={(e) => setValues((v) => ({ ...v, clientName: e.target.value }))}
              maxLength={120}
              required
            />
          )}
        </Field>
        <Button type="submit" className="w-full" pending={onboard.isPending}>
          Continue
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-slate-600">
        Invited to someone else’s workspace? Open the invitation link you received.{' '}
        <button type="button" onClick={() => signOut.mutate()} className="font-medium text-indigo-700 hover:underline">
          Sign out
        </button>
      </p>
    </AuthCard>
  )
}

export function OnboardingPage() {
  useTitle('Set up your workspace')
  // A plan chosen on /pricing before signing up is shown on the billing page once the workspace exists.
  const plan = useSearchParams()[0].get('plan')
  const home = plan && /^[a-z0-9_-]{1,40}$/.test(plan) ? `${BILLING_PATH}?plan=${plan}` : '/app'
  return (
    <RequireAuth>
      {(status) =>
        status.workspaces.length > 0 ? <Navigate to={home} replace /> : <OnboardingForm userName={status.user.name} />
      }
    </RequireAuth>
  )
}
