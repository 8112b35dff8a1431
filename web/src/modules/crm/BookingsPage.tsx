import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { crmKeys, listBookings } from './api.ts'
import type { BookingFilters, BookingStatus } from './api.ts'
import { BookingItem, STATUS_LABELS } from './BookingItem.tsx'
import { BookingsCalendar } from './BookingsCalendar.tsx'
import { ClientGate } from './ClientGate.tsx'
import { ExportButton } from './ExportButton.tsx'

/** /app/crm/bookings: the client's bookings as a list (status and date filters) or a month calendar. */
export function BookingsPage() {
  return <ClientGate title="Bookings">{(c) => <ClientBookings clientId={c.id} clientName={c.name} />}</ClientGate>
}

type View = 'list' | 'calendar'

function ClientBookings({ clientId, clientName }: { clientId: string; clientName: string }) {
  const [view, setView] = useState<View>('list')
  const [status, setStatus] = useState<BookingStatus | ''>('')
  return (
    <>
      <PageHeader
        title="Bookings"
        description={
          <>
            Events booked with the customers of <strong className="font-semibold text-slate-900">{clientName}</strong>.
          </>
        }
      />
      <Tabs
        label="Bookings view"
        tabs={[
          { key: 'list', label: 'List' },
          { key: 'calendar', label: 'Calendar' },
        ]}
        current={view}
        onSelect={setView}
      >
        <div className="mt-4">
          <Field label="Status" className="mb-4 max-w-xs">
            {(p) => (
              <Select {...p} value={status} onChange={(e) => setStatus(e.target.value as BookingStatus | '')}>
                <option value="">Any status</option>
                {(Object.keys(STATUS_LABELS) as BookingStatus[]).map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABELS[s]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {view === 'list' ? (
            <BookingList clientId={clientId} status={status || undefined} />
          ) : (
            <BookingsCalendar clientId={clientId} status={status || undefined} />
          )}
        </div>
      </Tabs>
    </>
  )
}

function BookingList({ clientId, status }: { clientId: string; status: BookingStatus | undefined }) {
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const filters: BookingFilters = { status, from: from || undefined, to: to || undefined }
  const query = useInfiniteQuery({
    queryKey: crmKeys.bookingList(clientId, filters),
    queryFn: ({ pageParam, signal }) => listBookings(clientId, filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  return (
    <>
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div className="grid max-w-md flex-1 grid-cols-2 gap-3">
          <Field label="From">
            {(p) => <Input {...p} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
          </Field>
          <Field label="To">
            {(p) => <Input {...p} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
          </Field>
        </div>
        <ExportButton clientId={clientId} path="/api/crm/bookings/export.csv" filters={filters} />
      </div>
      <QueryState query={query} label="Loading bookings…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return status || from || to ? (
              <EmptyState title="No booking matches these filters" />
            ) : (
              <EmptyState title="No bookings yet">
                Open a WhatsApp conversation in the inbox and use "Extract booking".
              </EmptyState>
            )
          return (
            <>
              <ul
                aria-label="Bookings"
                className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white px-4"
              >
                {items.map((b) => (
                  <BookingItem key={b.id} booking={b} withContact />
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
