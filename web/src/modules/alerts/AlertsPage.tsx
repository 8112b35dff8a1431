import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { formatDateTime } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Badge, type Tone } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { CopyField } from '../../ui/CopyField.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { acknowledgeAlert, alertKeys, getWebhook, listAlerts, removeWebhook, setWebhook, type AlertDto } from './api.ts'

const SEVERITY: Record<AlertDto['severity'], Tone> = { info: 'sky', warning: 'amber', critical: 'red' }

function AlertRow({ alert }: { alert: AlertDto }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const ack = useMutation({
    mutationFn: () => acknowledgeAlert(workspace.id, alert.id),
    meta: { success: 'Alert acknowledged.' },
    onSuccess: () => qc.invalidateQueries({ queryKey: alertKeys.all(workspace.id) }),
    onError: (e) => notifyError(notify, e),
  })
  return (
    <li data-testid="alert-row" className="flex flex-wrap items-start justify-between gap-3 px-4 py-3">
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <Badge tone={SEVERITY[alert.severity]}>{alert.severity}</Badge>
          <span className="font-medium text-slate-900">{alert.title}</span>
          <span className="text-xs text-slate-500">{formatDateTime(alert.createdAt)}</span>
        </div>
        <p className="mt-1 text-sm text-slate-700">{alert.message}</p>
        {alert.link && (
          <Link to={alert.link} className="mt-1 inline-block text-sm font-medium text-indigo-700 underline">
            Open
          </Link>
        )}
      </div>
      {alert.acknowledgedAt ? (
        <span className="text-xs text-slate-500">Acknowledged {formatDateTime(alert.acknowledgedAt)}</span>
      ) : (
        <Button variant="secondary" pending={ack.isPending} onClick={() => ack.mutate()}>
          Acknowledge
        </Button>
      )}
    </li>
  )
}

function AlertList() {
  const { workspace } = useWorkspace()
  const [open, setOpen] = useState(true)
  const query = useInfiniteQuery({
    queryKey: alertKeys.list(workspace.id, open),
    queryFn: ({ pageParam, signal }) => listAlerts(workspace.id, { cursor: pageParam, unacknowledged: open }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  return (
    <>
      <div className="mb-4 flex gap-2" role="group" aria-label="Which alerts">
        <Button variant={open ? 'primary' : 'secondary'} onClick={() => setOpen(true)}>
          Unacknowledged
        </Button>
        <Button variant={open ? 'secondary' : 'primary'} onClick={() => setOpen(false)}>
          All
        </Button>
      </div>
      <QueryState query={query} label="Loading alerts…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return (
              <EmptyState title={open ? 'Nothing to acknowledge' : 'No alerts yet'}>
                Rate limits, plan limits, disconnected numbers and failing flows show up here as they happen.
              </EmptyState>
            )
          return (
            <>
              <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
                {items.map((a) => (
                  <AlertRow key={a.id} alert={a} />
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

function WebhookSettings() {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [url, setUrl] = useState('')
  const [secret, setSecret] = useState<string | null>(null)
  const current = useQuery({
    queryKey: alertKeys.webhook(workspace.id),
    queryFn: ({ signal }) => getWebhook(workspace.id, signal),
  })
  const save = useMutation({
    mutationFn: () => setWebhook(workspace.id, url),
    meta: { success: 'Webhook saved: copy its secret now.' },
    onSuccess: (w) => {
      setSecret(w.secret)
      setUrl('')
      void qc.invalidateQueries({ queryKey: alertKeys.webhook(workspace.id) })
    },
  })
  const remove = useMutation({
    mutationFn: () => removeWebhook(workspace.id),
    meta: { success: 'Webhook removed.' },
    onSuccess: () => {
      setSecret(null)
      void qc.invalidateQueries({ queryKey: alertKeys.webhook(workspace.id) })
    },
    onError: (e) => notifyError(notify, e),
  })
  const hook = current.data?.webhook
  return (
    <Card
      title="Webhook"
      description="Every new alert is also posted to this URL as JSON, signed with Camarad-Signature: t=…,v1=… (HMAC-SHA256 of “t.body” with the secret)."
    >
      {hook && (
        <p className="mb-3 text-sm text-slate-700">
          Posting to <code className="break-all">{hook.url}</code> (secret ending in {hook.hint}).{' '}
          <Button variant="ghost" pending={remove.isPending} onClick={() => remove.mutate()}>
            Remove
          </Button>
        </p>
      )}
      {secret && (
        <Alert tone="info" title="Signing secret: shown once">
          <CopyField value={secret} testId="alert-webhook-secret" label="Signing secret" />
        </Alert>
      )}
      <form
        className="mt-3 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate()
        }}
      >
        <Field
          label={hook ? 'New URL (a new secret too)' : 'URL'}
          error={save.error ? errorMessage(save.error) : undefined}
          className="min-w-64 flex-1"
        >
          {(p) => (
            <Input
              {...p}
              type="url"
              required
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://"
            />
          )}
        </Field>
        <Button type="submit" pending={save.isPending}>
          Save
        </Button>
      </form>
    </Card>
  )
}

/** The alert centre (`/app/alerts`): the workspace's alerts for its admins, to acknowledge, and the webhook. */
export function AlertsPage() {
  useTitle('Alerts')
  const { workspace, role } = useWorkspace()
  return (
    <>
      <PageHeader title="Alerts" description={`What needs attention in ${workspace.name}, newest first.`} />
      {canManage(role) ? (
        <div className="space-y-8">
          <AlertList />
          <WebhookSettings />
        </div>
      ) : (
        <Alert tone="info" title="Only admins see alerts">
          Ask an owner or admin of this workspace.
        </Alert>
      )}
    </>
  )
}
