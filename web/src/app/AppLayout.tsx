import { useEffect, useState } from 'react'
import { Link, Navigate, Outlet, useLocation } from 'react-router'
import { RequireAuth } from './guards.tsx'
import { Sidebar } from './Sidebar.tsx'
import { VerifyEmailBanner } from './VerifyEmailBanner.tsx'
import { WorkspaceProvider } from './workspace.tsx'

const SIDEBAR_ID = 'app-sidebar'

/** Signed-in shell: sidebar (collapsible below md) and the page in <main>. */
export function AppLayout() {
  const [open, setOpen] = useState(false)
  const { pathname } = useLocation()
  const [lastPath, setLastPath] = useState(pathname)
  // The chat home's agent grid grows to five columns on wide screens, and a flow's canvas and run trace use the room;
  // the inbox's two panes too; other pages keep a reading width.
  const wide = /^\/app\/?$/.test(pathname) || /^\/app\/(flows\/.|inbox)/.test(pathname)
  if (pathname !== lastPath) {
    setLastPath(pathname)
    setOpen(false)
  }
  // Escape closes the phone's menu, as it closes a dialog.
  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [open])
  return (
    <RequireAuth>
      {(status) =>
        status.workspaces.length === 0 ? (
          <Navigate to="/onboarding" replace />
        ) : (
          <WorkspaceProvider workspaces={status.workspaces}>
            <a
              href="#main"
              className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
            >
              Skip to content
            </a>
            <div className="min-h-screen md:flex">
              <header className="sticky top-0 z-40 flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 md:hidden">
                <Link to="/app" className="text-lg font-bold tracking-tight text-indigo-700">
                  Camarad
                </Link>
                <button
                  type="button"
                  aria-expanded={open}
                  aria-controls={SIDEBAR_ID}
                  onClick={() => setOpen((o) => !o)}
                  className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium"
                >
                  {open ? 'Close menu' : 'Menu'}
                </button>
              </header>
              {open && (
                <div
                  aria-hidden="true"
                  className="fixed inset-0 z-20 bg-slate-900/40 md:hidden"
                  onClick={() => setOpen(false)}
                />
              )}
              <Sidebar user={status.user} id={SIDEBAR_ID} open={open} onNavigate={() => setOpen(false)} />
              <main id="main" tabIndex={-1} className="min-w-0 flex-1 px-4 py-6 sm:px-8 sm:py-8">
                <div className={`mx-auto ${wide ? 'max-w-[96rem]' : 'max-w-5xl'}`}>
                  <VerifyEmailBanner user={status.user} />
                  <Outlet />
                </div>
              </main>
            </div>
          </WorkspaceProvider>
        )
      }
    </RequireAuth>
  )
}
