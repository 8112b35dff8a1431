import { useInfiniteQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { formatCount, formatDateTime } from '../../lib/format.ts'
import { canEdit } from '../../lib/roles.ts'
import { ButtonLink } from '../../ui/Button.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { campaignKeys, listCampaigns } from './campaigns-api.ts'
import { CampaignStatusBadge } from './CampaignStats.tsx'
import { ClientGate } from './ClientGate.tsx'

/** /app/crm/campaigns: the client's WhatsApp campaigns, newest first, with their status and delivery figures. */
export function CampaignsPage() {
  return <ClientGate title="Campaigns">{(c) => <ClientCampaigns clientId={c.id} clientName={c.name} />}</ClientGate>
}

function ClientCampaigns({ clientId, clientName }: { clientId: string; clientName: string }) {
  const editor = canEdit(useWorkspace().role)
  const query = useInfiniteQuery({
    queryKey: campaignKeys.all(clientId),
    queryFn: ({ pageParam, signal }) => listCampaigns(clientId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const newCampaign = editor ? <ButtonLink to="/app/crm/campaigns/new">New campaign</ButtonLink> : undefined
  return (
    <>
      <PageHeader
        title="Campaigns"
        description={
          <>
            WhatsApp broadcasts to the contacts of{' '}
            <strong className="font-semibold text-slate-900">{clientName}</strong>, paced by each number's limits.
          </>
        }
        actions={newCampaign}
      />
      <QueryState query={query} label="Loading campaigns…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (!items.length)
            return (
              <EmptyState title="No campaigns yet" action={newCampaign}>
                Send a message to a segment of your contacts: by tag, by when they were added or last wrote. Contacts
                who answer STOP are never sent another campaign.
              </EmptyState>
            )
          return (
            <>
              <ul
                aria-label="Campaigns"
                className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
              >
                {items.map((c) => (
                  <li key={c.id} className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
                    <div className="min-w-0">
                      <Link
                        to={`/app/crm/campaigns/${c.id}`}
                        className="font-medium break-words text-slate-900 hover:underline"
                      >
                        {c.name}
                      </Link>
                      <p className="text-xs text-slate-500">
                        {c.startedAt
                          ? `Started ${formatDateTime(c.startedAt)}`
                          : `Created ${formatDateTime(c.createdAt)}`}
                      </p>
                    </div>
                    <div className="flex flex-wrap items-center gap-3 text-xs text-slate-600">
                      {c.stats && (
                        <span>
                          {formatCount(c.stats.sent + c.stats.delivered + c.stats.read)} sent ·{' '}
                          {formatCount(c.stats.delivered + c.stats.read)} delivered · {formatCount(c.stats.read)} read
                          {c.stats.failed ? ` · ${formatCount(c.stats.failed)} failed` : ''}
                        </span>
                      )}
                      <CampaignStatusBadge status={c.status} />
                    </div>
                  </li>
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </>
  )
}
