import { useQuery } from '@tanstack/react-query'
import { formatDateTime } from '../../lib/format.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Badge, type Tone } from '../../ui/Badge.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import {
  getStatus,
  statusKeys,
  type ComponentState,
  type IncidentDto,
  type IncidentStatus,
  type StatusDto,
} from './api.ts'

/** How often the page asks again while it is open. */
const REFRESH_MS = 30_000

const STATE: Record<ComponentState, { label: string; tone: Tone }> = {
  operational: { label: 'Operational', tone: 'green' },
  degraded: { label: 'Degraded', tone: 'amber' },
  down: { label: 'Down', tone: 'red' },
  not_configured: { label: 'Not configured', tone: 'slate' },
}
const OVERALL: Record<StatusDto['status'], { text: string; className: string }> = {
  operational: { text: 'All systems operational', className: 'border-green-200 bg-green-50 text-green-900' },
  degraded: { text: 'Some systems are degraded', className: 'border-amber-200 bg-amber-50 text-amber-900' },
  down: { text: 'Major outage', className: 'border-red-200 bg-red-50 text-red-900' },
}
const INCIDENT: Record<IncidentStatus, { label: string; tone: Tone }> = {
  investigating: { label: 'Investigating', tone: 'red' },
  identified: { label: 'Identified', tone: 'amber' },
  monitoring: { label: 'Monitoring', tone: 'sky' },
  resolved: { label: 'Resolved', tone: 'green' },
}

function Incident({ incident }: { incident: IncidentDto }) {
  const s = INCIDENT[incident.status]
  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-incident={incident.id}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="font-semibold text-slate-900">{incident.title}</h3>
        <div className="flex gap-2">
          {incident.impact === 'major' && <Badge tone="red">Major</Badge>}
          <Badge tone={s.tone}>{s.label}</Badge>
        </div>
      </div>
      <ol className="mt-3 space-y-3 border-l-2 border-slate-200 pl-4" aria-label={`Updates on ${incident.title}`}>
        {incident.updates.map((u) => (
          <li key={u.id}>
            <p className="text-sm">
              <span className="font-medium text-slate-900">{INCIDENT[u.status].label}</span>{' '}
              <span className="text-slate-500">· {formatDateTime(u.createdAt)}</span>
            </p>
            <p className="mt-0.5 text-sm break-words whitespace-pre-line text-slate-700">{u.message}</p>
          </li>
        ))}
      </ol>
    </li>
  )
}

function StatusBody({ status }: { status: StatusDto }) {
  const overall = OVERALL[status.status]
  return (
    <>
      <div role="status" data-state={status.status} className={`rounded-lg border p-4 ${overall.className}`}>
        <p className="text-lg font-semibold">{overall.text}</p>
        <p className="mt-1 text-sm opacity-80">
          Checked {formatDateTime(status.checkedAt)} · this page refreshes every 30 seconds.
        </p>
      </div>
      <section aria-labelledby="components" className="mt-8">
        <h2 id="components" className="text-lg font-semibold text-slate-900">
          Components
        </h2>
        <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white shadow-sm">
          {status.components.map((c) => (
            <li
              key={c.key}
              data-component={c.key}
              data-state={c.state}
              className="flex items-start justify-between gap-3 px-4 py-3"
            >
              <div className="min-w-0">
                <p className="font-medium text-slate-900">{c.name}</p>
                <p className="text-sm text-slate-600">{c.message}</p>
              </div>
              <Badge tone={STATE[c.state].tone}>{STATE[c.state].label}</Badge>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="incidents" className="mt-8">
        <h2 id="incidents" className="text-lg font-semibold text-slate-900">
          Incidents
        </h2>
        {status.incidents.length === 0 ? (
          <p className="mt-3 text-sm text-slate-600">No incidents in the last 7 days.</p>
        ) : (
          <ul className="mt-3 space-y-4">
            {status.incidents.map((i) => (
              <Incident key={i.id} incident={i} />
            ))}
          </ul>
        )}
      </section>
    </>
  )
}

/** /status: the service's live state for people (no account), refreshed every 30 seconds. */
export function StatusPage() {
  useTitle('Status')
  const status = useQuery({
    queryKey: statusKeys.page,
    queryFn: ({ signal }) => getStatus(signal),
    refetchInterval: REFRESH_MS,
  })
  return (
    <div className="mx-auto max-w-3xl px-4 py-10 sm:px-6">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">Status</h1>
      <p className="mt-2 text-slate-600">Live checks of Camarad on this server, and what the operator tells you.</p>
      <div className="mt-6">
        <QueryState query={status} label="Checking…">
          {(data) => <StatusBody status={data} />}
        </QueryState>
      </div>
    </div>
  )
}
