import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useNavigate, useParams, useSearchParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { Spinner } from '../../ui/Spinner.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { AdsPanel } from './AdsReport.tsx'
import { AnalyticsPanel } from './AnalyticsReport.tsx'
import { connectorKeys, listConnections, type Connection } from './api.ts'
import { GoogleCard } from './GoogleCard.tsx'
import { defaultRange, type RangeChoice } from './range.ts'
import { RangeControl } from './RangeControl.tsx'
import { SourcesCard } from './SourcePickers.tsx'

/**
 * /app/clients/:id/connectors — where Google's consent comes back: that client becomes the current one, then the
 * connections page (the `?connected=google` it carries says so in a toast).
 */
export function ClientConnectorsRedirect() {
  const { id = '' } = useParams()
  const [params] = useSearchParams()
  const { selectClient } = useWorkspace()
  const navigate = useNavigate()
  useEffect(() => {
    selectClient(id)
    navigate(`/app/connections${params.size ? `?${params}` : ''}`, { replace: true })
  }, [id, params, selectClient, navigate])
  return <Spinner label="Opening the client’s connections…" />
}

/** /app/connections: the current client's Google connection, its Ads account and GA4 property, and their reports. */
export function ConnectorsPage() {
  useTitle('Connections')
  const { query, client } = useCurrentClient()
  if (query.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client)
    return (
      <>
        <PageHeader title="Connections" />
        {query.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(query.error)}
          </Alert>
        ) : (
          <NoClientYet>Connect a client's Google Ads and GA4 to read their figures. Add the first client.</NoClientYet>
        )}
      </>
    )
  return <ClientConnections key={client.id} clientId={client.id} clientName={client.name} />
}

function ClientConnections({ clientId, clientName }: { clientId: string; clientName: string }) {
  const admin = canManage(useWorkspace().role)
  const { notify } = useToast()
  const [params, setParams] = useSearchParams()
  const query = useQuery({
    queryKey: connectorKeys.list(clientId),
    queryFn: ({ signal }) => listConnections(clientId, signal),
  })
  const justConnected = params.get('connected') === 'google'
  useEffect(() => {
    if (!justConnected) return
    notify('Google connected')
    setParams(
      (p) => {
        p.delete('connected')
        return p
      },
      { replace: true },
    )
  }, [justConnected, notify, setParams])
  return (
    <>
      <PageHeader
        title="Connections"
        description={
          <>
            Google Ads and Analytics (GA4) of <strong className="font-semibold text-slate-900">{clientName}</strong>:
            their figures here, and for the agents and flows of this client.
          </>
        }
      />
      <QueryState query={query} label="Loading connections…">
        {(data) => {
          const live = data.items.find((c) => c.status !== 'disconnected') ?? null
          const last = data.items[0] ?? null
          return (
            <div className="space-y-6">
              <GoogleCard clientId={clientId} live={live} last={last} admin={admin} />
              {live?.status === 'connected' && (
                <>
                  <SourcesCard clientId={clientId} connection={live} admin={admin} />
                  <ReportsArea clientId={clientId} connection={live} />
                </>
              )}
              {!live && data.demo && (
                <>
                  <Alert tone="warning" title="Demo data">
                    This server shows sample figures for clients without a Google connection, marked “Demo data”
                    everywhere. Connect Google to see {clientName}’s real figures.
                  </Alert>
                  <ReportsArea clientId={clientId} connection={null} />
                </>
              )}
            </div>
          )
        }}
      </QueryState>
    </>
  )
}

type Tab = 'ads' | 'analytics'

/** The reports of a connection, or (`connection` null) the client's demo figures. */
function ReportsArea({ clientId, connection }: { clientId: string; connection: Connection | null }) {
  const [tab, setTab] = useState<Tab>('ads')
  const [choice, setChoice] = useState<RangeChoice>(() => defaultRange())
  const range = { from: choice.from, to: choice.to, compare: choice.compare }
  return (
    <section aria-labelledby="connector-reports" className="space-y-4">
      <h2 id="connector-reports" className="text-base font-semibold text-slate-900">
        Reports
      </h2>
      <RangeControl value={choice} onChange={setChoice} />
      <Tabs
        label="Reports"
        tabs={[
          { key: 'ads', label: 'Google Ads' },
          { key: 'analytics', label: 'Analytics' },
        ]}
        current={tab}
        onSelect={setTab}
      >
        {tab === 'ads' ? (
          !connection || connection.ads ? (
            <AdsPanel clientId={clientId} connectionId={connection?.id ?? null} range={range} />
          ) : (
            <EmptyState title="No Google Ads account picked">
              Pick the client’s Google Ads account above to read its figures.
            </EmptyState>
          )
        ) : !connection || connection.analytics ? (
          <AnalyticsPanel clientId={clientId} connectionId={connection?.id ?? null} range={range} />
        ) : (
          <EmptyState title="No GA4 property picked">
            Pick the client’s GA4 property above to read its figures.
          </EmptyState>
        )}
      </Tabs>
    </section>
  )
}
