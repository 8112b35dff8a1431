import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { chatKeys, listConversations } from './api.ts'
import { ConversationList, pinnedFirst } from './ConversationList.tsx'

const FILTERS = { q: '', archived: 'exclude' } as const

/** The client's latest conversations on the chat home, pinned first. */
export function RecentConversations({ clientId, agents }: { clientId: string; agents: AgentDto[] }) {
  const query = useQuery({
    queryKey: [...chatKeys.list(clientId, FILTERS), 'recent'],
    queryFn: ({ signal }) => listConversations(clientId, { ...FILTERS, limit: 8 }, signal),
  })
  const all = (
    <Link to="/app/chat" className="text-sm font-medium text-indigo-700 hover:underline">
      All conversations
    </Link>
  )
  return (
    <Card title="Recent conversations" actions={all}>
      <QueryState query={query} label="Loading conversations…">
        {(page) =>
          page.items.length === 0 ? (
            <EmptyState title="No conversations yet">Pick an agent above to start one.</EmptyState>
          ) : (
            <ConversationList conversations={pinnedFirst(page.items)} agents={agents} label="Recent conversations" />
          )
        }
      </QueryState>
    </Card>
  )
}
