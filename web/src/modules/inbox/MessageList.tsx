import { useInfiniteQuery } from '@tanstack/react-query'
import { useLayoutEffect, useRef } from 'react'
import { Button } from '../../ui/Button.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { inboxKeys, listMessages } from './api.ts'
import type { InboxMessage } from './api.ts'
import { MessageBubble } from './MessageBubble.tsx'
import type { PendingSend } from './use-send.ts'

const NEAR_EDGE_PX = 120
const dayLabel = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
})

/** A pending send drawn like the message it will become: queued, or failed with why. */
const asMessage = (p: PendingSend, threadId: string): InboxMessage => ({
  id: `pending-${p.clientMessageId}`,
  threadId,
  direction: 'out',
  fromMe: true,
  type: 'text' in p.body ? 'text' : 'template',
  content: 'text' in p.body ? { type: 'text', text: p.body.text } : { type: 'template', ...p.body.template },
  replyTo: null,
  status: p.error ? 'failed' : 'queued',
  statusAt: p.at,
  error: p.error ? { code: p.error.code, message: p.error.message } : null,
  media: null,
  at: p.at,
})

/**
 * The conversation, oldest at the top and newest at the bottom: it opens at the bottom, stays there as messages
 * arrive (unless the reader scrolled up), and loads older pages when scrolled to the top, keeping the place.
 */
export function MessageList({
  clientId,
  threadId,
  pending,
  onRetry,
}: {
  clientId: string
  threadId: string
  pending: PendingSend[]
  onRetry: (p: PendingSend) => void
}) {
  const query = useInfiniteQuery({
    queryKey: inboxKeys.messages(clientId, threadId),
    queryFn: ({ pageParam, signal }) => listMessages(clientId, threadId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const stored = (query.data?.pages.flatMap((p) => p.items) ?? []).slice().reverse()
  const shown = [...stored, ...pending.map((p) => asMessage(p, threadId))]
  const byId = new Map(stored.map((m) => [m.id, m]))
  const ref = useRef<HTMLDivElement>(null)
  const first = shown[0]?.id ?? null
  const last = shown[shown.length - 1]?.id ?? null
  const snap = useRef({
    height: 0,
    top: 0,
    nearBottom: true,
    first: null as string | null,
    last: null as string | null,
  })
  const record = () => {
    const el = ref.current
    if (!el) return
    snap.current = {
      height: el.scrollHeight,
      top: el.scrollTop,
      nearBottom: el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_EDGE_PX,
      first,
      last,
    }
  }
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    const s = snap.current
    if (s.first === null) el.scrollTop = el.scrollHeight
    else if (first !== s.first && last === s.last) el.scrollTop = el.scrollHeight - s.height + s.top
    else if (last !== s.last && (s.nearBottom || last?.startsWith('pending-'))) el.scrollTop = el.scrollHeight
    record()
  })
  const older = () => {
    if (query.hasNextPage && !query.isFetchingNextPage) void query.fetchNextPage()
  }
  let lastDay = ''
  return (
    <div
      ref={ref}
      onScroll={() => {
        record()
        if ((ref.current?.scrollTop ?? 1) < NEAR_EDGE_PX) older()
      }}
      className="min-h-0 flex-1 overflow-y-auto bg-slate-50 px-3 py-4 sm:px-5"
      role="log"
      aria-label="Messages"
      aria-live="polite"
      tabIndex={0}
    >
      {query.isPending ? (
        <MessageSkeletons />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          {query.hasNextPage && (
            <div className="mb-3 flex justify-center">
              <Button variant="secondary" className="py-1 text-xs" pending={query.isFetchingNextPage} onClick={older}>
                Load older messages
              </Button>
            </div>
          )}
          {shown.length === 0 && <p className="py-8 text-center text-sm text-slate-500">No messages yet.</p>}
          <ol className="space-y-2">
            {shown.map((m) => {
              const day = dayLabel.format(new Date(m.at))
              const divider = day !== lastDay
              lastDay = day
              const p = m.id.startsWith('pending-')
                ? pending.find((x) => `pending-${x.clientMessageId}` === m.id)
                : null
              return (
                <li key={m.id}>
                  {divider && (
                    <p className="my-3 text-center text-xs font-medium text-slate-500">
                      <span className="rounded-full bg-white px-3 py-1 shadow-sm">{day}</span>
                    </p>
                  )}
                  <MessageBubble
                    message={m}
                    quoted={m.replyTo ? (byId.get(m.replyTo) ?? null) : null}
                    onRetry={p?.error ? () => onRetry(p) : undefined}
                    retrying={p?.sending ?? false}
                  />
                </li>
              )
            })}
          </ol>
        </>
      )}
    </div>
  )
}

function MessageSkeletons() {
  return (
    <div aria-busy="true" className="space-y-3">
      <span className="sr-only" role="status">
        Loading messages…
      </span>
      {['w-2/3', 'ml-auto w-1/2', 'w-1/3', 'ml-auto w-3/5'].map((w, i) => (
        <div key={i} aria-hidden="true" className={`h-12 animate-pulse rounded-lg bg-slate-200 ${w}`} />
      ))}
    </div>
  )
}
