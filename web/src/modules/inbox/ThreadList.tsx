import { useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { cx } from '../../lib/cx.ts'
import { Input, Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { channelKeys, listChannels } from '../channels/index.ts'
import type { Thread, ThreadFilters } from './api.ts'
import { Avatar, contactName, shortTime, useMembers } from './people.tsx'

type Filters = Omit<ThreadFilters, 'q'>
type ListQuery = {
  isPending: boolean
  isError: boolean
  error: unknown
  refetch: () => unknown
  hasNextPage: boolean
  isFetchingNextPage: boolean
  fetchNextPage: () => unknown
}

export const threadPath = (id: string) => `/app/inbox/${encodeURIComponent(id)}`

function Toggle({ pressed, onClick, children }: { pressed: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      onClick={onClick}
      className={cx(
        'rounded-full border px-3 py-1 text-xs font-medium whitespace-nowrap',
        pressed
          ? 'border-indigo-500 bg-indigo-50 text-indigo-800'
          : 'border-slate-300 text-slate-700 hover:bg-slate-50',
      )}
    >
      {children}
    </button>
  )
}

/** The conversations: a search, filters, then one line per thread (newest activity first). */
export function ThreadList({
  clientId,
  query,
  threads,
  selectedId,
  search,
  onSearch,
  filters,
  onFilters,
  filtered,
}: {
  clientId: string
  query: ListQuery
  threads: Thread[]
  selectedId: string | null
  search: string
  onSearch: (q: string) => void
  filters: Filters
  onFilters: (f: Filters) => void
  filtered: boolean
}) {
  const { byId } = useMembers()
  const numbers = useQuery({
    queryKey: channelKeys.list(clientId),
    queryFn: ({ signal }) => listChannels(clientId, signal),
    staleTime: 60_000,
  })
  const assigned = (value: string) =>
    onFilters({ ...filters, assigned: filters.assigned === value ? undefined : value })
  return (
    <>
      <div className="space-y-2 border-b border-slate-200 p-3">
        <label className="sr-only" htmlFor="inbox-search">
          Search conversations
        </label>
        <Input
          id="inbox-search"
          type="search"
          placeholder="Search by name, number or message"
          value={search}
          onChange={(e) => onSearch(e.target.value)}
        />
        <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Filters">
          <Toggle
            pressed={!!filters.unread}
            onClick={() => onFilters({ ...filters, unread: !filters.unread || undefined })}
          >
            Unread
          </Toggle>
          <Toggle pressed={filters.assigned === 'me'} onClick={() => assigned('me')}>
            Assigned to me
          </Toggle>
          <Toggle pressed={filters.assigned === 'none'} onClick={() => assigned('none')}>
            Unassigned
          </Toggle>
          {(numbers.data?.items.length ?? 0) > 1 && (
            <>
              <label className="sr-only" htmlFor="inbox-number">
                Number
              </label>
              <Select
                id="inbox-number"
                className="w-auto py-1 text-xs"
                value={filters.channelId ?? ''}
                onChange={(e) => onFilters({ ...filters, channelId: e.target.value || undefined })}
              >
                <option value="">All numbers</option>
                {numbers.data!.items.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </Select>
            </>
          )}
          {filters.label && (
            <Toggle pressed onClick={() => onFilters({ ...filters, label: undefined })}>
              Label: {filters.label}
            </Toggle>
          )}
        </div>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto">
        {query.isPending ? (
          <ThreadSkeletons />
        ) : query.isError ? (
          <div className="p-3">
            <QueryError error={query.error} onRetry={() => void query.refetch()} />
          </div>
        ) : threads.length === 0 ? (
          <div className="px-4 py-10 text-center text-sm">
            <p className="font-medium text-slate-900">
              {filtered ? 'No conversation matches' : 'No conversations yet'}
            </p>
            <p className="mt-1 text-slate-600">
              {filtered ? (
                'Try another search or clear the filters.'
              ) : (
                <>
                  Messages to this client's numbers appear here as they arrive.{' '}
                  <Link to="/app/numbers" className="font-medium text-indigo-700 hover:underline">
                    WhatsApp numbers
                  </Link>
                </>
              )}
            </p>
          </div>
        ) : (
          <>
            <ul aria-label="Conversation list">
              {threads.map((t) => (
                <li key={t.id}>
                  <ThreadItem
                    thread={t}
                    selected={t.id === selectedId}
                    assignee={t.assignedTo ? (byId.get(t.assignedTo)?.name ?? 'Someone') : null}
                    onLabel={(label) => onFilters({ ...filters, label })}
                  />
                </li>
              ))}
            </ul>
            <div className="pb-4">
              <LoadMore query={query} />
            </div>
          </>
        )}
      </div>
    </>
  )
}

function ThreadItem({
  thread,
  selected,
  assignee,
  onLabel,
}: {
  thread: Thread
  selected: boolean
  assignee: string | null
  onLabel: (label: string) => void
}) {
  const name = contactName(thread)
  const labels = thread.labels
  return (
    <div
      className={cx(
        'relative flex gap-3 border-b border-slate-100 px-3 py-3',
        selected ? 'bg-indigo-50' : 'hover:bg-slate-50',
      )}
      data-testid="thread-item"
    >
      <Avatar name={name} />
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline justify-between gap-2">
          <Link
            to={threadPath(thread.id)}
            aria-current={selected ? 'page' : undefined}
            className={cx(
              'truncate text-sm text-slate-900 after:absolute after:inset-0 focus-visible:outline-none',
              'after:focus-visible:outline-2 after:focus-visible:-outline-offset-2 after:focus-visible:outline-indigo-600',
              thread.unread > 0 ? 'font-semibold' : 'font-medium',
            )}
          >
            {name}
          </Link>
          <time dateTime={thread.lastMessageAt} className="shrink-0 text-xs text-slate-500">
            {shortTime(thread.lastMessageAt)}
          </time>
        </div>
        <div className="mt-0.5 flex items-center justify-between gap-2">
          <p className={cx('truncate text-sm', thread.unread > 0 ? 'text-slate-900' : 'text-slate-600')}>
            {thread.lastPreview || ' '}
          </p>
          <span className="flex shrink-0 items-center gap-1.5">
            {assignee && <Avatar name={assignee} size="sm" label={`Assigned to ${assignee}`} />}
            {thread.unread > 0 && (
              <span
                className="min-w-5 rounded-full bg-green-600 px-1.5 text-center text-xs font-semibold text-white"
                data-testid="unread-badge"
              >
                {thread.unread}
                <span className="sr-only"> unread</span>
              </span>
            )}
          </span>
        </div>
        {labels.length > 0 && (
          <ul className="relative z-10 mt-1 flex flex-wrap gap-1" aria-label="Labels">
            {labels.map((l) => (
              <li key={l}>
                <button
                  type="button"
                  onClick={() => onLabel(l)}
                  title={`Show conversations labelled ${l}`}
                  className="rounded bg-slate-100 px-1.5 py-0.5 text-[0.7rem] text-slate-700 hover:bg-slate-200"
                >
                  {l}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}

function ThreadSkeletons() {
  return (
    <div aria-busy="true">
      <span className="sr-only" role="status">
        Loading conversations…
      </span>
      {[0, 1, 2, 3].map((i) => (
        <div key={i} aria-hidden="true" className="flex gap-3 border-b border-slate-100 px-3 py-3">
          <span className="size-10 shrink-0 animate-pulse rounded-full bg-slate-200" />
          <span className="flex-1 space-y-2 py-1">
            <span className="block h-3.5 w-2/3 animate-pulse rounded bg-slate-200" />
            <span className="block h-3 w-full animate-pulse rounded bg-slate-100" />
          </span>
        </div>
      ))}
    </div>
  )
}
