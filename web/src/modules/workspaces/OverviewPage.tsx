import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { ROLE_LABELS } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { useCurrentClient } from '../clients/index.ts'
import { CurrentClientCard } from './CurrentClientCard.tsx'
import { WorkspaceCard } from './WorkspaceCard.tsx'

const linkClass = 'block rounded-md border border-slate-200 p-4 hover:border-indigo-300 hover:bg-indigo-50'

export function OverviewPage() {
  const { workspace, role } = useWorkspace()
  const current = useCurrentClient()
  useTitle(`${workspace.name} overview`)
  const links = [
    { to: '/app/clients', title: 'Add a client', body: 'Create, search and archive the clients you work for.' },
    {
      to: '/app/settings/members',
      title: 'Invite a teammate',
      body: 'Share the workspace with owner, admin, member or viewer access.',
    },
    {
      to: '/app/settings/tokens',
      title: 'Create an API token',
      body: 'Automate Camarad from scripts and other tools.',
    },
    ...(canManage(role)
      ? [{ to: '/app/settings/audit', title: 'Recent activity', body: 'See who signed in, invited or archived what.' }]
      : []),
  ]
  return (
    <>
      <PageHeader title="Overview" description={`${workspace.name} · your role: ${ROLE_LABELS[role]}`} />
      <div className="grid gap-6 lg:grid-cols-2">
        <WorkspaceCard />
        <CurrentClientCard current={current} />
      </div>
      <Card title="Quick links" className="mt-6">
        <ul className="grid gap-3 sm:grid-cols-2">
          {links.map((l) => (
            <li key={l.to}>
              <Link to={l.to} className={linkClass}>
                <span className="block font-medium text-slate-900">{l.title}</span>
                <span className="mt-1 block text-sm text-slate-600">{l.body}</span>
              </Link>
            </li>
          ))}
        </ul>
      </Card>
    </>
  )
}
