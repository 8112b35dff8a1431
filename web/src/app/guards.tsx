import type { ReactNode } from 'react'
import { Navigate, useLocation } from 'react-router'
import type { AuthStatus } from '../../../contracts/identity.ts'
import { loginPath } from '../lib/navigation.ts'
import { QueryError } from '../ui/QueryState.tsx'
import { FullPageSpinner } from '../ui/Spinner.tsx'
import { useAuthStatus } from './session.ts'

type AuthedStatus = AuthStatus & { user: NonNullable<AuthStatus['user']> }

/** Renders children with the signed-in status, or sends the visitor to /login?next=<here>. */
export function RequireAuth({ children }: { children: (status: AuthedStatus) => ReactNode }) {
  const status = useAuthStatus()
  const location = useLocation()
  if (status.isPending) return <FullPageSpinner />
  if (status.isError) {
    return (
      <main className="mx-auto max-w-lg p-6">
        <QueryError error={status.error} onRetry={() => status.refetch()} />
      </main>
    )
  }
  const data = status.data
  if (!data.authenticated || !data.user) return <Navigate to={loginPath(location.pathname + location.search)} replace />
  return <>{children({ ...data, user: data.user })}</>
}
