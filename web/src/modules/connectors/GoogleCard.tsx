import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { errorMessage } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { connectorKeys, disconnect, startGoogle, type Connection } from './api.ts'
import { Icon } from './icons.tsx'

/** The client's Google connection: its status, Connect / Reconnect (admins) and Disconnect with a confirmation. */
function StatusBadge({ connection }: { connection: Connection | null }) {
  if (!connection) return <Badge>Not connected</Badge>
  if (connection.status === 'connected') return <Badge tone="green">Connected</Badge>
  if (connection.status === 'reconnect_required') return <Badge tone="red">Reconnect required</Badge>
  return <Badge>Disconnected</Badge>
}

/** Starts Google's consent in this tab: the API answers the consent URL and its callback brings the browser back. */
const useStartGoogle = (clientId: string) => {
  const { notify } = useToast()
  return useMutation({
    mutationFn: () => startGoogle(clientId),
    onSuccess: ({ url }) => window.location.assign(url),
    onError: (e) => notifyError(notify, e),
  })
}

export function GoogleCard({
  clientId,
  live,
  last,
  admin,
}: {
  clientId: string
  live: Connection | null
  last: Connection | null
  admin: boolean
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const start = useStartGoogle(clientId)
  const [confirming, setConfirming] = useState(false)
  const remove = useMutation({
    mutationFn: (id: string) => disconnect(clientId, id),
    onSuccess: async () => {
      setConfirming(false)
      notify('Google disconnected')
      await qc.invalidateQueries({ queryKey: connectorKeys.all(clientId) })
    },
  })
  const shown = live ?? last
  return (
    <Card
      title={
        <span className="inline-flex items-center gap-2">
          <Icon name="google" className="size-5 text-indigo-700" />
          Google
          <StatusBadge connection={live ?? (last?.status === 'disconnected' ? last : null)} />
        </span>
      }
      description="Google Ads and GA4, read-only. Tokens are kept sealed; disconnecting revokes them at Google."
      actions={
        admin && live ? (
          <Button
            variant="ghost"
            onClick={() => {
              remove.reset()
              setConfirming(true)
            }}
          >
            Disconnect
          </Button>
        ) : undefined
      }
    >
      {live?.status === 'reconnect_required' ? (
        <Alert tone="error" title="Google no longer accepts this connection">
          <p>
            {live.statusReason ?? 'Google refused the stored access.'} Reports, agents and flows cannot read this
            client’s figures until someone reconnects.
          </p>
          {admin ? (
            <Button className="mt-3" pending={start.isPending} onClick={() => start.mutate()}>
              <Icon name="link" />
              Reconnect Google
            </Button>
          ) : (
            <p className="mt-2">Ask an admin of this workspace to reconnect Google.</p>
          )}
        </Alert>
      ) : live ? (
        <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-2">
          <div>
            <dt className="inline text-slate-500">Connected on </dt>
            <dd className="inline text-slate-900">{formatDateTime(live.connectedAt)}</dd>
          </div>
          <div>
            <dt className="inline text-slate-500">Last token refresh </dt>
            <dd className="inline text-slate-900">{formatDateTime(live.lastRefreshedAt)}</dd>
          </div>
        </dl>
      ) : (
        <EmptyState
          title={shown ? 'Google is disconnected' : 'Google is not connected'}
          action={
            admin ? (
              <Button pending={start.isPending} onClick={() => start.mutate()}>
                <Icon name="google" />
                Connect Google
              </Button>
            ) : undefined
          }
        >
          {admin
            ? 'Connect the Google login that reaches this client’s Ads account and GA4 property; you pick both next.'
            : 'An admin of this workspace connects Google for this client.'}
        </EmptyState>
      )}
      <ConfirmDialog
        open={confirming}
        title="Disconnect Google?"
        message={
          <>
            Camarad’s access is revoked at Google; reports, agents and flows stop reading this client’s Ads and GA4. You
            can connect again later. This is recorded in the audit log.
          </>
        }
        confirmLabel="Disconnect"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => live && remove.mutate(live.id)}
        onCancel={() => setConfirming(false)}
      />
    </Card>
  )
}
