import { useQuery } from '@tanstack/react-query'
import { NavLink } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { alertKeys, listAlerts } from './api.ts'
import { useAlertStream } from './use-alert-stream.ts'

/**
 * The bell in the sidebar (admins): how many alerts nobody has acknowledged, a link to the alert centre; it also
 * holds the workspace's one live alert stream, whose alerts show as toasts wherever the admin is in the app.
 */
export function AlertBell() {
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  const live = useAlertStream(workspace.id, admin)
  const unread = useQuery({
    queryKey: alertKeys.unread(workspace.id),
    queryFn: ({ signal }) => listAlerts(workspace.id, { unacknowledged: true, limit: 1 }, signal),
    enabled: admin,
    select: (p) => p.unacknowledged,
  })
  if (!admin) return null
  const count = unread.data ?? 0
  return (
    <NavLink
      to="/app/alerts"
      data-testid="alert-bell"
      data-live={live}
      aria-label={count ? `Alerts, ${count} unacknowledged` : 'Alerts'}
      className={({ isActive }) =>
        `relative inline-flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium ${
          isActive ? 'bg-indigo-50 text-indigo-800' : 'text-slate-700 hover:bg-slate-100'
        }`
      }
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2">
        <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
        <path d="M13.73 21a2 2 0 0 1-3.46 0" />
      </svg>
      Alerts
      {count > 0 && (
        <span
          data-testid="alert-count"
          className="ml-auto rounded-full bg-red-600 px-2 py-0.5 text-xs font-semibold text-white"
        >
          {count > 99 ? '99+' : count}
        </span>
      )}
    </NavLink>
  )
}
