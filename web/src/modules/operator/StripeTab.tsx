import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { formatCredits } from '../../lib/credits.ts'
import { operatorKeys, STRIPE_EVENT_STATUSES } from './api.ts'
import type { DriftRepairDto, OperatorApi, StripeEventStatus } from './api.ts'

const TONE = { pending: 'amber', processed: 'green', ignored: 'slate', dead: 'red' } as const
const LABEL: Record<StripeEventStatus, string> = {
  pending: 'Pending',
  processed: 'Processed',
  ignored: 'Ignored',
  dead: 'Dead',
}

/** Drift repair on demand: what the hourly job does, with its counts. */
function Repair({ api }: { api: OperatorApi }) {
  const qc = useQueryClient()
  const repair = useMutation({
    mutationFn: () => api.repairDrift(),
    meta: { success: 'Drift repair finished.' },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['operator', 'stripe-events'] })
    },
  })
  const result = (r: DriftRepairDto) =>
    `${r.eventsRecovered} missed events recovered, ${r.subscriptionsRepaired} of ${r.subscriptionsChecked} ` +
    `subscriptions repaired${r.failed ? `, ${r.failed} failed (see the server log)` : ''}.`
  return (
    <Card
      title="Drift repair"
      description={
        'Runs every hour: recovers the events Stripe sent but this server never stored, and brings ' +
        'each subscription in line with Stripe. It never grants credits itself.'
      }
    >
      <Button variant="secondary" pending={repair.isPending} onClick={() => repair.mutate()}>
        Repair now
      </Button>
      {repair.isSuccess && (
        <Alert tone="success" className="mt-3">
          {result(repair.data)}
        </Alert>
      )}
      {repair.isError && (
        <Alert tone={isApiError(repair.error, 'billing.not_configured') ? 'info' : 'error'} className="mt-3">
          {isApiError(repair.error, 'billing.not_configured')
            ? 'Stripe is not configured on this server: there is nothing to repair.'
            : errorMessage(repair.error)}
        </Alert>
      )}
    </Card>
  )
}

/** Stripe events as received: dead ones (every attempt failed) can be replayed; their effects are idempotent. */
export function StripeTab({ api }: { api: OperatorApi }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [status, setStatus] = useState<StripeEventStatus | ''>('')
  const events = useQuery({
    queryKey: operatorKeys.stripeEvents(status),
    queryFn: ({ signal }) => api.stripeEvents(status, signal),
    placeholderData: keepPreviousData,
  })
  const replay = useMutation({
    mutationFn: (eventId: string) => api.replayStripeEvent(eventId),
    onSuccess: async (e) => {
      notify(`${e.id} queued again`)
      await qc.invalidateQueries({ queryKey: ['operator', 'stripe-events'] })
    },
  })
  return (
    <div className="space-y-6">
      <Repair api={api} />
      <section aria-labelledby="stripe-events-heading" className="space-y-3">
        <h2 id="stripe-events-heading" className="text-lg font-semibold text-slate-900">
          Stripe events
        </h2>
        <p className="max-w-prose text-sm text-slate-600">
          The newest 100 events this server received, each stored once and processed by a job with retries. A dead event
          failed every attempt: fix the cause, then replay it. A refund or chargeback takes back the unspent credits the
          charge bought; what was already spent is flagged in red.
        </p>
        <div className="max-w-xs">
          <Field label="Status">
            {(p) => (
              <Select {...p} value={status} onChange={(e) => setStatus(e.target.value as StripeEventStatus | '')}>
                <option value="">All events</option>
                {STRIPE_EVENT_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {LABEL[s]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
        {replay.isError && <Alert tone="error">{errorMessage(replay.error)}</Alert>}
        <QueryState query={events} label="Loading Stripe events…">
          {(items) =>
            items.length === 0 ? (
              <EmptyState title={status === 'dead' ? 'No dead events' : 'No events'}>
                {status ? 'Nothing with this status.' : 'Events appear here once Stripe sends the first one.'}
              </EmptyState>
            ) : (
              <Table
                caption="Stripe events"
                columns={[
                  'Received',
                  'Event',
                  'Status',
                  'Attempts',
                  'Last error',
                  <span key="a" className="sr-only">
                    Actions
                  </span>,
                ]}
              >
                {items.map((e) => (
                  <tr key={e.id} data-testid="stripe-event-row">
                    <Td className="whitespace-nowrap">{formatDateTime(e.receivedAt)}</Td>
                    <Td>
                      <span className="block font-medium text-slate-900">{e.type}</span>
                      <span className="font-mono text-xs text-slate-500">{e.id}</span>
                      {e.unrecoveredCredits !== null && (
                        <span data-testid="stripe-event-unrecovered" className="mt-1 block">
                          <Badge tone="red">{formatCredits(e.unrecoveredCredits)} credits not recovered</Badge>
                          <span className="block text-xs text-slate-600">
                            Already spent by workspace <code>{e.workspaceId}</code>: follow up with it.
                          </span>
                        </span>
                      )}
                    </Td>
                    <Td>
                      <Badge tone={TONE[e.status]}>{LABEL[e.status]}</Badge>
                    </Td>
                    <Td className="text-right tabular-nums">{e.attempts}</Td>
                    <Td className="max-w-xs break-words text-xs">{e.lastError ?? '—'}</Td>
                    <Td className="text-right">
                      {e.status === 'dead' && (
                        <Button
                          variant="secondary"
                          pending={replay.isPending && replay.variables === e.id}
                          onClick={() => replay.mutate(e.id)}
                        >
                          Replay<span className="sr-only"> {e.id}</span>
                        </Button>
                      )}
                    </Td>
                  </tr>
                ))}
              </Table>
            )
          }
        </QueryState>
      </section>
    </div>
  )
}
