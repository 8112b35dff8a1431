import { Link } from 'react-router'
import type { AgentDto } from '../../../../contracts/agents.ts'
import type { ConversationDto } from '../../../../contracts/chat.ts'
import { formatDateTime } from '../../lib/format.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

/** Pinned conversations first, each group most recent first (the server orders by last message only). */
export const pinnedFirst = (items: ConversationDto[]) => [
  ...items.filter((c) => c.pinned),
  ...items.filter((c) => !c.pinned),
]

const BADGE = 'rounded-full px-2 py-0.5 text-xs font-medium'

/** Conversations as links: title, agent, last activity; pinned, archived and running are marked. */
export function ConversationList({
  conversations,
  agents,
  label,
}: {
  conversations: ConversationDto[]
  agents: AgentDto[]
  label: string
}) {
  const byId = new Map(agents.map((a) => [a.id, a]))
  return (
    <ul
      aria-label={label}
      className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white"
    >
      {conversations.map((c) => {
        const agent = byId.get(c.agentId)
        return (
          <li key={c.id} className="relative flex items-center gap-3 px-4 py-3 hover:bg-slate-50">
            <AgentAvatar agent={agent} size={36} />
            <div className="min-w-0 flex-1">
              <Link
                to={`/app/chat/${encodeURIComponent(c.id)}`}
                className="block truncate font-medium text-slate-900 after:absolute after:inset-0 hover:text-indigo-700"
              >
                {c.title}
              </Link>
              <p className="truncate text-sm text-slate-600">
                {agent?.name ?? 'Agent'} · <time dateTime={c.lastMessageAt}>{formatDateTime(c.lastMessageAt)}</time>
              </p>
            </div>
            <div className="flex shrink-0 gap-1.5">
              {c.running && <span className={`${BADGE} bg-sky-100 text-sky-900`}>Writing…</span>}
              {c.pinned && <span className={`${BADGE} bg-amber-100 text-amber-900`}>Pinned</span>}
              {c.archivedAt && <span className={`${BADGE} bg-slate-200 text-slate-700`}>Archived</span>}
            </div>
          </li>
        )
      })}
    </ul>
  )
}
