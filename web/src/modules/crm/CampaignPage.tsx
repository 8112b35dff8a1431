import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { formatCount, formatDateTime } from '../../lib/format.ts'
import { canEdit, canManage } from '../../lib/roles.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { CampaignBuilder } from './CampaignBuilder.tsx'
import { CampaignStatTiles, CampaignStatusBadge, RECIPIENT_STATES, SKIP_REASONS } from './CampaignStats.tsx'
import {
  campaignKeys,
  cancelCampaign,
  getCampaign,
  listRecipients,
  previewCampaign,
  startCampaign,
} from './campaigns-api.ts'
import type { Campaign, RecipientState } from './campaigns-api.ts'
import { ClientGate } from './ClientGate.tsx'

/** /app/crm/campaigns/new: the builder of a new draft. */
export function NewCampaignPage() {
  return (
    <ClientGate title="New campaign">
      {(c) => (
        <>
          <Back />
          <PageHeader title="New campaign" />
          <CampaignBuilder clientId={c.id} />
        </>
      )}
    </ClientGate>
  )
}

/** /app/crm/campaigns/:id: a draft's builder with Start, or a started campaign's statistics and recipients. */
export function CampaignPage() {
  const { id = '' } = useParams()
  return <ClientGate title="Campaign">{(c) => <CampaignView clientId={c.id} id={id} />}</ClientGate>
}

function Back() {
  return (
    <Link to="/app/crm/campaigns" className="mb-3 inline-block text-sm text-indigo-700 hover:underline">
      ← Campaigns
    </Link>
  )
}

function CampaignView({ clientId, id }: { clientId: string; id: string }) {
  const query = useQuery({
    queryKey: campaignKeys.one(clientId, id),
    queryFn: ({ signal }) => getCampaign(clientId, id, signal),
    // While it sends (or messages wait in the outbox), the figures move: read them again every few seconds.
    refetchInterval: (q) => {
      const c = q.state.data
      return c?.status === 'sending' || (c?.stats?.queued ?? 0) > 0 ? 4000 : false
    },
  })
  return (
    <>
      <Back />
      <QueryState query={query} label="Loading the campaign…">
        {(c) => <CampaignDetail clientId={clientId} campaign={c} />}
      </QueryState>
    </>
  )
}

function CampaignDetail({ clientId, campaign }: { clientId: string; campaign: Campaign }) {
  const role = useWorkspace().role
  const qc = useQueryClient()
  const { notify } = useToast()
  const refresh = (c: Campaign) => {
    qc.setQueryData(campaignKeys.one(clientId, c.id), c)
    void qc.invalidateQueries({ queryKey: campaignKeys.all(clientId) })
  }
  const cancel = useMutation({
    mutationFn: () => cancelCampaign(clientId, campaign.id),
    onSuccess: (c) => {
      notify('Campaign cancelled: no further messages will be queued')
      refresh(c)
    },
    onError: (e) => notifyError(notify, e),
  })
  const open = campaign.status === 'draft' || campaign.status === 'sending'
  return (
    <>
      <PageHeader
        title={campaign.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <CampaignStatusBadge status={campaign.status} />
            {campaign.startedAt && <span>Started {formatDateTime(campaign.startedAt)}</span>}
            {campaign.finishedAt && <span>· Finished {formatDateTime(campaign.finishedAt)}</span>}
          </span>
        }
        actions={
          <>
            {campaign.status === 'draft' && canManage(role) && <StartButton clientId={clientId} campaign={campaign} />}
            {open && canEdit(role) && (
              <Button variant="danger" pending={cancel.isPending} onClick={() => cancel.mutate()}>
                {campaign.status === 'draft' ? 'Discard draft' : 'Cancel campaign'}
              </Button>
            )}
          </>
        }
      />
      {campaign.status === 'draft' ? (
        <>
          {!canManage(role) && (
            <Alert tone="info" title="An admin starts campaigns">
              You can prepare the draft; a workspace admin sends it.
            </Alert>
          )}
          {canEdit(role) ? (
            <CampaignBuilder key={campaign.id} clientId={clientId} campaign={campaign} />
          ) : (
            <EmptyState title="This campaign is a draft" />
          )}
        </>
      ) : (
        <div className="space-y-6">
          {campaign.stats && <CampaignStatTiles stats={campaign.stats} />}
          <Recipients clientId={clientId} campaignId={campaign.id} />
        </div>
      )}
    </>
  )
}

/** Start, after a confirmation that names how many contacts it goes to. */
function StartButton({ clientId, campaign }: { clientId: string; campaign: Campaign }) {
  const [confirming, setConfirming] = useState(false)
  const qc = useQueryClient()
  const { notify } = useToast()
  const count = useQuery({
    queryKey: campaignKeys.preview(clientId, campaign.id, campaign.segment),
    queryFn: ({ signal }) => previewCampaign(clientId, campaign.id, campaign.segment, signal),
    enabled: confirming,
  })
  const start = useMutation({
    mutationFn: () => startCampaign(clientId, campaign.id),
    onSuccess: (c) => {
      setConfirming(false)
      notify(`Campaign started: ${formatCount(c.stats?.pending ?? 0)} messages are being queued`)
      qc.setQueryData(campaignKeys.one(clientId, c.id), c)
      void qc.invalidateQueries({ queryKey: campaignKeys.all(clientId) })
    },
  })
  return (
    <>
      <Button onClick={() => setConfirming(true)}>Start…</Button>
      <Dialog open={confirming} title="Start this campaign?" onClose={() => setConfirming(false)}>
        <div className="space-y-3 text-sm text-slate-700">
          {count.isPending ? (
            <p>Counting recipients…</p>
          ) : count.isError ? (
            <p>{errorMessage(count.error)}</p>
          ) : (
            <p>
              The saved segment reaches <strong>{formatCount(count.data.recipients)}</strong> contacts now. They are
              fixed when you start; unsaved changes are not included. Messages go out paced by the number's limits and
              count against the plan's monthly messages.
            </p>
          )}
          {start.isError && (
            <Alert tone="error" title="Not started">
              {errorMessage(start.error)}
            </Alert>
          )}
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              Keep as draft
            </Button>
            <Button pending={start.isPending} onClick={() => start.mutate()}>
              Start sending
            </Button>
          </div>
        </div>
      </Dialog>
    </>
  )
}

function Recipients({ clientId, campaignId }: { clientId: string; campaignId: string }) {
  const [state, setState] = useState<RecipientState | ''>('')
  const query = useInfiniteQuery({
    queryKey: campaignKeys.recipients(clientId, campaignId, state || undefined),
    queryFn: ({ pageParam, signal }) => listRecipients(clientId, campaignId, state || undefined, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  return (
    <Card
      title="Recipients"
      actions={
        <Field label="State" className="w-44">
          {(p) => (
            <Select {...p} value={state} onChange={(e) => setState(e.target.value as RecipientState | '')}>
              <option value="">All</option>
              {(Object.keys(RECIPIENT_STATES) as RecipientState[]).map((s) => (
                <option key={s} value={s}>
                  {RECIPIENT_STATES[s][0]}
                </option>
              ))}
            </Select>
          )}
        </Field>
      }
    >
      <QueryState query={query} label="Loading recipients…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (!items.length) return <EmptyState title={state ? 'No recipient in this state' : 'No recipients'} />
          return (
            <>
              <Table caption="Recipients" columns={['Contact', 'WhatsApp', 'State', 'Queued']}>
                {items.map((r) => (
                  <tr key={r.contactId}>
                    <Td>
                      <Link to={`/app/crm/contacts/${r.contactId}`} className="text-indigo-700 hover:underline">
                        {r.name}
                      </Link>
                    </Td>
                    <Td className="whitespace-nowrap">{r.address ?? '—'}</Td>
                    <Td>
                      <Badge tone={RECIPIENT_STATES[r.state][1]}>{RECIPIENT_STATES[r.state][0]}</Badge>
                      {r.reason && <span className="ml-2 text-xs text-slate-500">{SKIP_REASONS[r.reason]}</span>}
                      {r.error && <span className="ml-2 text-xs text-red-700">{r.error.message}</span>}
                    </Td>
                    <Td className="whitespace-nowrap">{r.queuedAt ? formatDateTime(r.queuedAt) : '—'}</Td>
                  </tr>
                ))}
              </Table>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </Card>
  )
}
