import { Link, Outlet } from 'react-router'
import { buttonClass } from '../ui/Button.tsx'
import { useAuthStatus } from './session.ts'
import { LEGAL_LINKS } from '../lib/legal.ts'

function HeaderActions() {
  const status = useAuthStatus()
  if (status.isPending) return null
  if (status.data?.authenticated)
    return (
      <Link to="/app" className={buttonClass('primary')}>
        Open app
      </Link>
    )
  return (
    <>
      <Link to="/login" className={buttonClass('ghost')}>
        Log in
      </Link>
      <Link to="/signup" className={buttonClass('primary')}>
        Sign up
      </Link>
    </>
  )
}

export function SiteFooter() {
  return (
    <footer className="border-t border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-6 py-6 text-sm text-slate-600">
        <p>
          © {new Date().getFullYear()} Camarad · self-hostable AI agent workspace ·{' '}
          <Link to="/chat-demo" className="font-medium text-indigo-700 hover:underline">
            Try the demo
          </Link>{' '}
          ·{' '}
          <Link to="/pricing" className="font-medium text-indigo-700 hover:underline">
            Pricing
          </Link>{' '}
          ·{' '}
          <Link to="/status" className="font-medium text-indigo-700 hover:underline">
            Status
          </Link>
        </p>
        <nav aria-label="Legal">
          <ul className="flex flex-wrap gap-x-4 gap-y-1">
            {LEGAL_LINKS.map((l) => (
              <li key={l.to}>
                <Link to={l.to} className="hover:text-slate-900 hover:underline">
                  {l.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </div>
    </footer>
  )
}

/** Marketing and legal pages: header with sign-in actions, footer with legal links. */
export function PublicLayout() {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-6 py-4">
          <Link to="/" className="text-xl font-bold tracking-tight text-indigo-700">
            Camarad
          </Link>
          <nav aria-label="Account" className="flex items-center gap-2">
            <HeaderActions />
          </nav>
        </div>
      </header>
      <main id="main" className="flex-1">
        <Outlet />
      </main>
      <SiteFooter />
    </div>
  )
}

/** Sign-in style pages: a centred card under the brand. */
export function AuthLayout() {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="px-6 pt-10 text-center">
        <Link to="/" className="text-2xl font-bold tracking-tight text-indigo-700">
          Camarad
        </Link>
      </header>
      <main id="main" className="mx-auto w-full max-w-md flex-1 px-4 py-8">
        <Outlet />
      </main>
      <SiteFooter />
    </div>
  )
}
