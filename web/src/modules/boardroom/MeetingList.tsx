import { Link } from 'react-router'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { formatDateTime } from '../../lib/format.ts'
import type { MeetingSummary } from './api.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

const STATUS: Record<string, { label: string; className: string }> = {
  running: { label: 'In progress', className: 'bg-sky-100 text-sky-900' },
  completed: { label: 'Completed', className: 'bg-green-100 text-green-800' },
  cancelled: { label: 'Stopped', className: 'bg-slate-200 text-slate-700' },
  failed: { label: 'Failed', className: 'bg-red-100 text-red-800' },
}

export function MeetingStatus({ status }: { status: string }) {
  const s = STATUS[status] ?? { label: status, className: 'bg-slate-200 text-slate-700' }
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${s.className}`}>{s.label}</span>
  )
}

/** The client's meetings as links: topic, who sat at the table, when, and how it went. */
export function MeetingList({ meetings, agents }: { meetings: MeetingSummary[]; agents: AgentDto[] }) {
  return (
    <ul
      aria-label="Meetings"
      className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white"
    >
      {meetings.map((m) => {
        const seated = m.agentIds.map((id) => agents.find((a) => a.id === id))
        return (
          <li key={m.id} className="relative flex items-center gap-3 px-4 py-3 hover:bg-slate-50">
            <span aria-hidden="true" className="flex shrink-0 -space-x-2">
              {seated.map((a, i) => (
                <AgentAvatar key={i} agent={a} size={32} className="ring-2 ring-white" />
              ))}
            </span>
            <div className="min-w-0 flex-1">
              <Link
                to={`/app/boardroom/${encodeURIComponent(m.id)}`}
                className="block truncate font-medium text-slate-900 after:absolute after:inset-0 hover:text-indigo-700"
              >
                {m.topic}
              </Link>
              <p className="truncate text-sm text-slate-600">
                {seated.map((a) => a?.name ?? 'Agent').join(', ')} ·{' '}
                <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
              </p>
            </div>
            <MeetingStatus status={m.status} />
          </li>
        )
      })}
    </ul>
  )
}
