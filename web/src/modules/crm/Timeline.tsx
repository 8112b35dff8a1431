import { useInfiniteQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { formatDateTime } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Card } from '../../ui/Card.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { crmKeys, listTimeline } from './api.ts'
import type { TimelineItem } from './api.ts'
import { formatDay, formatMoney } from './format.ts'

/** Everything that happened with a contact, newest first, paged. */
export function Timeline({ clientId, contactId }: { clientId: string; contactId: string }) {
  const query = useInfiniteQuery({
    queryKey: crmKeys.timeline(clientId, contactId),
    queryFn: ({ pageParam, signal }) => listTimeline(clientId, contactId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  return (
    <Card title="Timeline">
      <QueryState query={query} label="Loading the timeline…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) return <p className="text-sm text-slate-600">Nothing happened yet.</p>
          return (
            <>
              <ol aria-label="Timeline" className="space-y-3">
                {items.map((item) => (
                  <li key={`${item.kind}-${keyOf(item)}`} className="flex gap-3 text-sm">
                    <span className="w-20 shrink-0">
                      <Badge tone={TONES[item.kind]}>{LABELS[item.kind]}</Badge>
                    </span>
                    <div className="min-w-0 flex-1">
                      <p className="break-words text-slate-800">{describe(item)}</p>
                      <p className="text-xs text-slate-500">{formatDateTime(item.at)}</p>
                    </div>
                  </li>
                ))}
              </ol>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </Card>
  )
}

const LABELS = { note: 'Note', task: 'Task', booking: 'Booking', deal: 'Deal', message: 'Message' } as const
const TONES = { note: 'slate', task: 'amber', booking: 'green', deal: 'indigo', message: 'sky' } as const

const keyOf = (item: TimelineItem) => {
  switch (item.kind) {
    case 'note':
      return item.note.id
    case 'task':
      return item.task.id
    case 'booking':
      return item.booking.id
    case 'deal':
      return item.deal.id
    case 'message':
      return item.message.id
  }
}

const describe = (item: TimelineItem) => {
  switch (item.kind) {
    case 'note':
      return item.note.body
    case 'task':
      return `${item.task.done ? 'Done: ' : ''}${item.task.title}`
    case 'booking': {
      const b = item.booking
      const amount = b.amount ? ` · ${formatMoney(b.amount.minor, b.amount.currency)}` : ''
      return `${formatDay(b.date)}${b.time ? ` ${b.time}` : ''}${b.location ? ` · ${b.location}` : ''}${amount}`
    }
    case 'deal':
      return `${item.deal.title} · ${formatMoney(item.deal.valueMinor, item.deal.currency)} (${item.deal.status})`
    case 'message':
      return (
        <>
          {item.message.direction === 'in' ? 'They wrote: ' : 'We wrote: '}
          {item.message.text ?? `(${item.message.type})`}{' '}
          <Link
            to={`/app/inbox/${encodeURIComponent(item.message.threadId)}`}
            className="text-indigo-700 hover:underline"
          >
            Open the conversation
          </Link>
        </>
      )
  }
}
