import type { ReactNode } from 'react'
import { Navigate, useSearchParams } from 'react-router'
import type { AuthStatus } from '../../../contracts/identity.ts'
import { homeFor, useAuthStatus } from '../app/session.ts'
import { safeNext } from '../lib/navigation.ts'
import { QueryError } from '../ui/QueryState.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { cx } from '../lib/cx.ts'

/** The validated `?next=` of the current URL, or null; a plan chosen on /pricing (`?plan=`) goes on through onboarding. */
export const useNext = () => {
  const [params] = useSearchParams()
  const plan = params.get('plan')
  return safeNext(params.get('next')) ?? (plan && /^[a-z0-9_-]{1,40}$/.test(plan) ? `/onboarding?plan=${plan}` : null)
}

/** For /login and /signup: wait for the status, and move signed-in users on to where they were going. */
export function SignedOutOnly({ children }: { children: (status: AuthStatus) => ReactNode }) {
  const status = useAuthStatus()
  const next = useNext()
  if (status.isPending) return <Spinner />
  if (status.isError) return <QueryError error={status.error} onRetry={() => status.refetch()} />
  if (status.data.authenticated) return <Navigate to={homeFor(status.data, next)} replace />
  return <>{children(status.data)}</>
}

export function AuthCard({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children: ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      {subtitle && <p className="mt-1 text-sm text-slate-600">{subtitle}</p>}
      <div className="mt-6">{children}</div>
    </div>
  )
}

export function GoogleButton() {
  return (
    <>
      <a
        href="/api/auth/google"
        className={cx(
          'flex w-full items-center justify-center rounded-md border border-slate-300 bg-white px-3.5 py-2',
          'text-sm font-medium text-slate-800 hover:bg-slate-100',
        )}
      >
        Continue with Google
      </a>
      <p
        className={cx(
          'my-4 flex items-center gap-3 text-xs text-slate-500 before:h-px',
          'before:flex-1 before:bg-slate-200 after:h-px after:flex-1',
          'after:bg-slate-200',
        )}
      >
        or
      </p>
    </>
  )
}
