import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useParams } from 'react-router'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { cx } from '../../lib/cx.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { Spinner } from '../../ui/Spinner.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { getThread, inboxKeys, listThreads } from './api.ts'
import type { ThreadFilters } from './api.ts'
import { Conversation } from './Conversation.tsx'
import { LiveIndicator } from './LiveIndicator.tsx'
import { ThreadList } from './ThreadList.tsx'
import { useInboxEvents } from './use-inbox-events.ts'

/** /app/inbox (and /app/inbox/:threadId): the current client's WhatsApp conversations. */
export function InboxPage() {
  useTitle('Inbox')
  const { query: clientsQuery, client } = useCurrentClient()
  if (clientsQuery.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client)
    return (
      <>
        <PageHeader title="Inbox" />
        {clientsQuery.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(clientsQuery.error)}
          </Alert>
        ) : (
          <NoClientYet>
            The inbox shows a client's WhatsApp conversations. Add the first client, then its numbers.
          </NoClientYet>
        )}
      </>
    )
  return <ClientInbox key={client.id} clientId={client.id} clientName={client.name} />
}

function ClientInbox({ clientId, clientName }: { clientId: string; clientName: string }) {
  const { threadId = null } = useParams()
  const live = useInboxEvents(clientId)
  const [search, setSearch] = useState('')
  const [filters, setFilters] = useState<Omit<ThreadFilters, 'q'>>({})
  const q = useDebounced(search.trim(), 300)
  const query = useInfiniteQuery({
    queryKey: inboxKeys.threadList(clientId, { ...filters, q }),
    queryFn: ({ pageParam, signal }) => listThreads(clientId, { ...filters, q }, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const listed = query.data?.pages.flatMap((p) => p.items) ?? []
  const found = threadId ? listed.find((t) => t.id === threadId) : undefined
  // A thread opened from a link may be outside the loaded (or filtered) list: read it by itself.
  const fallback = useQuery({
    queryKey: inboxKeys.thread(clientId, threadId ?? ''),
    queryFn: ({ signal }) => getThread(clientId, threadId!, signal),
    enabled: !!threadId && !found && !query.isPending,
    retry: (n, e) => !isApiError(e) || (e.status >= 500 && n < 2),
  })
  const thread = found ?? (fallback.data?.id === threadId ? fallback.data : undefined)
  return (
    <>
      <div className={cx('mb-4 flex flex-wrap items-end justify-between gap-3', threadId && 'max-md:hidden')}>
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Inbox</h1>
          <p className="mt-1 text-sm text-slate-600">
            WhatsApp conversations of <strong className="font-semibold text-slate-900">{clientName}</strong>.
          </p>
        </div>
        <LiveIndicator state={live.state} onReconnect={live.reconnect} />
      </div>
      <div
        className={cx(
          'flex min-h-[26rem] overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm',
          // The page's height less the app's header and paddings (and, on a phone's list, the page title).
          threadId ? 'h-[calc(100dvh-7rem)]' : 'h-[calc(100dvh-13rem)]',
          'md:h-[calc(100dvh-9.5rem)]',
        )}
      >
        <section
          aria-label="Conversations"
          className={cx(
            'flex min-w-0 flex-col border-slate-200 md:w-80 md:shrink-0 md:border-r lg:w-96',
            threadId ? 'max-md:hidden' : 'w-full',
          )}
        >
          <ThreadList
            clientId={clientId}
            query={query}
            threads={listed}
            selectedId={threadId}
            search={search}
            onSearch={setSearch}
            filters={filters}
            onFilters={setFilters}
            filtered={!!q || Object.values(filters).some(Boolean)}
          />
        </section>
        <section
          aria-label="Conversation"
          className={cx('min-w-0 flex-1 flex-col', threadId ? 'flex' : 'hidden md:flex')}
        >
          {!threadId ? (
            <div className="flex flex-1 items-center justify-center p-6 text-center text-sm text-slate-500">
              Choose a conversation to read it and reply.
            </div>
          ) : thread ? (
            <Conversation key={thread.id} clientId={clientId} thread={thread} />
          ) : query.isPending || fallback.isPending ? (
            <Spinner label="Loading the conversation…" className="px-4" />
          ) : (
            <div className="p-4">
              <Alert tone="error" title="Could not find this conversation">
                {isApiError(fallback.error, 'inbox.thread_not_found')
                  ? 'It may belong to another client.'
                  : errorMessage(fallback.error)}
              </Alert>
            </div>
          )}
        </section>
      </div>
    </>
  )
}
