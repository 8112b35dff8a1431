import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { ChannelDto } from '../../../../contracts/channels.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { AddNumberDialog } from './AddNumberDialog.tsx'
import { channelDashboard, channelKeys, listChannels } from './api.ts'
import { NumberCard, NumberCardSkeleton } from './NumberCard.tsx'
import { QrDialog } from './QrDialog.tsx'

/** While a number is on its way somewhere (waiting for its first scan, connecting), the list is read this often. */
const SETTLING_POLL_MS = 5_000
const SETTLING: readonly ChannelDto['status'][] = ['pending_qr', 'connecting']

/** /app/numbers: the current client's WhatsApp numbers, their health and their last day of traffic. */
export function NumbersPage() {
  useTitle('WhatsApp numbers')
  const { query: clientsQuery, client } = useCurrentClient()
  if (clientsQuery.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client)
    return (
      <>
        <PageHeader title="WhatsApp numbers" />
        {clientsQuery.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(clientsQuery.error)}
          </Alert>
        ) : (
          <NoClientYet>
            Each client has its own WhatsApp numbers. Add the first client, then connect its numbers.
          </NoClientYet>
        )}
      </>
    )
  return <ClientNumbers key={client.id} clientId={client.id} clientName={client.name} />
}

function ClientNumbers({ clientId, clientName }: { clientId: string; clientName: string }) {
  const admin = canManage(useWorkspace().role)
  const [adding, setAdding] = useState(false)
  const [scanning, setScanning] = useState<ChannelDto | null>(null)
  const list = useQuery({
    queryKey: channelKeys.list(clientId),
    queryFn: ({ signal }) => listChannels(clientId, signal),
    refetchInterval: (q) => (q.state.data?.items.some((c) => SETTLING.includes(c.status)) ? SETTLING_POLL_MS : false),
  })
  const dashboard = useQuery({
    queryKey: channelKeys.dashboard(clientId),
    queryFn: ({ signal }) => channelDashboard(clientId, signal),
    refetchInterval: 30_000,
    retry: false,
  })
  const stats = new Map((dashboard.data?.items ?? []).map((s) => [s.channelId, s]))
  const items = list.data?.items ?? []
  return (
    <>
      <PageHeader
        title="WhatsApp numbers"
        description={
          <>
            The numbers <strong className="font-semibold text-slate-900">{clientName}</strong> talks to its customers
            from: their connection and the last 24 hours of messages.
          </>
        }
        actions={admin && items.length > 0 ? <Button onClick={() => setAdding(true)}>Add number</Button> : undefined}
      />
      {list.isPending ? (
        <div className="space-y-3" aria-busy="true">
          <span className="sr-only" role="status">
            Loading numbers…
          </span>
          <NumberCardSkeleton />
          <NumberCardSkeleton />
        </div>
      ) : list.isError ? (
        <QueryError error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState
          title="No numbers yet — add one"
          action={admin ? <Button onClick={() => setAdding(true)}>Add number</Button> : undefined}
        >
          {admin
            ? 'Pair a phone by scanning a QR code with WhatsApp, or connect a number of the WhatsApp Cloud API.'
            : 'An admin of the workspace connects the numbers; their conversations then appear in the inbox.'}
        </EmptyState>
      ) : (
        <>
          {dashboard.isError && (
            <Alert tone="warning" className="mb-3">
              The figures of the last 24 hours could not be loaded: {errorMessage(dashboard.error)}{' '}
              <button type="button" className="font-medium underline" onClick={() => void dashboard.refetch()}>
                Try again
              </button>
            </Alert>
          )}
          <ul className="space-y-3" aria-label="Numbers">
            {items.map((c) => (
              <li key={c.id}>
                <NumberCard
                  channel={c}
                  stats={stats.get(c.id) ?? null}
                  statsLoading={dashboard.isPending}
                  admin={admin}
                  onScan={() => setScanning(c)}
                />
              </li>
            ))}
          </ul>
        </>
      )}
      {admin && (
        <AddNumberDialog
          key={`add-${adding}`}
          clientId={clientId}
          open={adding}
          onClose={() => setAdding(false)}
          onCreated={(c) => {
            setAdding(false)
            if (c.kind === 'qr') setScanning(c)
          }}
        />
      )}
      {scanning && (
        <QrDialog key={scanning.id} channel={scanning} clientId={clientId} onClose={() => setScanning(null)} />
      )}
    </>
  )
}
