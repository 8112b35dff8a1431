import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate, useParams } from 'react-router'
import type { Role } from '../../../contracts/common.ts'
import type { UserDto } from '../../../contracts/identity.ts'
import type { WorkspaceDto } from '../../../contracts/tenancy.ts'
import { refreshSession, useAuthStatus } from '../app/session.ts'
import { rememberWorkspace } from '../app/workspace.tsx'
import { ApiError, api, errorMessage } from '../lib/api.ts'
import { ROLE_LABELS, formatDateTime } from '../lib/format.ts'
import { withNext } from '../lib/navigation.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button, ButtonLink } from '../ui/Button.tsx'
import { QueryError, QueryState } from '../ui/QueryState.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { AuthCard } from './auth-shared.tsx'

type Preview = { workspaceName: string; email: string; role: Role; invitedBy: string; expiresAt: string }

function InvitationPreview({ token, user }: { token: string; user: UserDto }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const path = `/api/invitations/${encodeURIComponent(token)}`
  const preview = useQuery({ queryKey: ['invitation', token], queryFn: ({ signal }) => api<Preview>(path, { signal }) })
  const accept = useMutation({
    mutationFn: () => api<{ workspace: WorkspaceDto }>(`${path}/accept`, { method: 'POST' }),
    onSuccess: async ({ workspace }) => {
      rememberWorkspace(workspace.id)
      await refreshSession(qc, { keepData: true })
      navigate('/app', { replace: true })
    },
  })
  if (preview.error instanceof ApiError && preview.error.status < 500 && preview.error.status !== 429) {
    return (
      <AuthCard title="This invitation cannot be used" subtitle={preview.error.message}>
        <p className="text-sm text-slate-600">Ask the person who invited you to send a new link.</p>
        <ButtonLink to="/app" variant="secondary" className="mt-4">
          Go to Camarad
        </ButtonLink>
      </AuthCard>
    )
  }
  return (
    <QueryState query={preview} label="Loading invitation…">
      {(inv) => (
        <AuthCard
          title={`Join ${inv.workspaceName}`}
          subtitle={`${inv.invitedBy} invited you to this workspace on Camarad.`}
        >
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-500">Invited email</dt>
            <dd className="break-all text-slate-900">{inv.email}</dd>
            <dt className="text-slate-500">Your role</dt>
            <dd className="text-slate-900">{ROLE_LABELS[inv.role]}</dd>
            <dt className="text-slate-500">Expires</dt>
            <dd className="text-slate-900">{formatDateTime(inv.expiresAt)}</dd>
          </dl>
          {inv.email.toLowerCase() !== user.email.toLowerCase() && (
            <Alert tone="warning" className="mt-4">
              You are signed in as {user.email}, but this invitation was sent to {inv.email}.
            </Alert>
          )}
          {accept.isError && (
            <Alert tone="error" className="mt-4">
              {errorMessage(accept.error)}
            </Alert>
          )}
          <div className="mt-6 flex flex-wrap gap-2">
            <Button pending={accept.isPending} onClick={() => accept.mutate()}>
              Accept invitation
            </Button>
            <ButtonLink to="/app" variant="secondary">
              Not now
            </ButtonLink>
          </div>
        </AuthCard>
      )}
    </QueryState>
  )
}

export function InvitePage() {
  useTitle('Invitation')
  const { token = '' } = useParams()
  const status = useAuthStatus()
  const here = `/invite/${encodeURIComponent(token)}`
  if (status.isPending) return <Spinner />
  if (status.isError) return <QueryError error={status.error} onRetry={() => status.refetch()} />
  if (!status.data.authenticated || !status.data.user) {
    return (
      <AuthCard title="You have been invited" subtitle="Log in or create an account to see and accept this invitation.">
        <div className="flex flex-wrap gap-2">
          <ButtonLink to={withNext('/login', here)}>Log in to accept</ButtonLink>
          <ButtonLink to={withNext('/signup', here)} variant="secondary">
            Create an account
          </ButtonLink>
        </div>
        <p className="mt-4 text-sm text-slate-600">
          Use the email address the invitation was sent to.{' '}
          <Link to="/" className="text-indigo-700 hover:underline">
            What is Camarad?
          </Link>
        </p>
      </AuthCard>
    )
  }
  return <InvitationPreview token={token} user={status.data.user} />
}
