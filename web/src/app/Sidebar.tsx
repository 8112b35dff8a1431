import { useEffect, useRef } from 'react'
import type { ReactNode } from 'react'
import { NavLink, useLocation } from 'react-router'
import type { UserDto } from '../../../contracts/identity.ts'
import { AlertBell } from '../modules/alerts/index.ts'
import { ClientSwitcher } from './ClientSwitcher.tsx'
import { UserMenu } from './UserMenu.tsx'
import { WorkspaceSwitcher } from './WorkspaceSwitcher.tsx'
import { cx } from '../lib/cx.ts'

const linkClass = ({ isActive }: { isActive: boolean }) =>
  `block rounded-md px-3 py-2 text-sm font-medium ${isActive ? 'bg-indigo-50 text-indigo-800' : 'text-slate-700 hover:bg-slate-100'}`

function Item({ to, end, children }: { to: string; end?: boolean; children: ReactNode }) {
  return (
    <li>
      <NavLink to={to} end={end} className={linkClass}>
        {children}
      </NavLink>
    </li>
  )
}

/**
 * The app's sidebar: a column as tall as the window whose navigation scrolls on its own between the switchers and the
 * user menu, so no item ever lies under the menu; on a very short window (a phone held sideways) the whole column
 * scrolls instead, the navigation keeping a few rows. Below md it is the drawer the header's Menu button opens.
 */
export function Sidebar({
  user,
  id,
  open,
  onNavigate,
}: {
  user: UserDto
  id: string
  open: boolean
  onNavigate: () => void
}) {
  const nav = useRef<HTMLElement>(null)
  const { pathname } = useLocation()
  // The current page's link is kept in view (e.g. API tokens, the last one, after following a link to it).
  useEffect(() => {
    nav.current?.querySelector('[aria-current="page"]')?.scrollIntoView({ block: 'nearest' })
  }, [pathname, open])
  return (
    <aside
      id={id}
      aria-label="Sidebar"
      className={cx(
        open ? 'flex' : 'hidden',
        'fixed inset-y-0 left-0 z-30 w-72 flex-col overflow-y-auto overscroll-contain border-r border-slate-200 bg-white',
        'md:sticky md:top-0 md:flex md:h-dvh',
      )}
    >
      <div className="hidden shrink-0 px-5 pt-5 md:block">
        <NavLink to="/app" end className="text-lg font-bold tracking-tight text-indigo-700">
          Camarad
        </NavLink>
      </div>
      <div className="shrink-0 space-y-4 border-b border-slate-200 px-5 pt-16 pb-5 md:pt-4">
        <WorkspaceSwitcher />
        <ClientSwitcher />
        <AlertBell />
      </div>
      <nav
        ref={nav}
        aria-label="Main"
        className="min-h-40 flex-1 overflow-y-auto overscroll-contain px-3 py-4"
        onClick={onNavigate}
      >
        <ul className="space-y-1">
          <Item to="/app" end>
            Chat
          </Item>
          <Item to="/app/chat">Conversations</Item>
          <Item to="/app/boardroom">Boardroom</Item>
          <Item to="/app/flows">Flows</Item>
          <Item to="/app/inbox">Inbox</Item>
          <Item to="/app/numbers">WhatsApp numbers</Item>
          <Item to="/app/knowledge">Knowledge</Item>
          <Item to="/app/connections">Connections</Item>
          <Item to="/app/overview">Overview</Item>
          <Item to="/app/clients">Clients</Item>
        </ul>
        <p className="mt-6 mb-1 px-3 text-xs font-semibold tracking-wide text-slate-500 uppercase">CRM</p>
        <ul className="space-y-1">
          <Item to="/app/crm/contacts">Contacts</Item>
          <Item to="/app/crm/deals">Deals</Item>
          <Item to="/app/crm/bookings">Bookings</Item>
          <Item to="/app/crm/campaigns">Campaigns</Item>
        </ul>
        <p className="mt-6 mb-1 px-3 text-xs font-semibold tracking-wide text-slate-500 uppercase">Settings</p>
        <ul className="space-y-1">
          <Item to="/app/settings/profile">Profile</Item>
          <Item to="/app/settings/members">Members</Item>
          <Item to="/app/settings/agents">Agents</Item>
          <Item to="/app/settings/providers">AI providers</Item>
          <Item to="/app/settings/usage">Usage &amp; credits</Item>
          <Item to="/app/settings/billing">Plan &amp; billing</Item>
          <Item to="/app/settings/tokens">API tokens</Item>
          <Item to="/app/settings/audit">Audit log</Item>
        </ul>
      </nav>
      <footer className="shrink-0 border-t border-slate-200 bg-white p-4">
        <UserMenu user={user} />
      </footer>
    </aside>
  )
}
