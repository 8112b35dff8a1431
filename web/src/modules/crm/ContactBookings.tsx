import { useInfiniteQuery } from '@tanstack/react-query'
import { Card } from '../../ui/Card.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { crmKeys, listBookings } from './api.ts'
import { BookingItem } from './BookingItem.tsx'

/** A contact's bookings, newest first. */
export function ContactBookings({ clientId, contactId }: { clientId: string; contactId: string }) {
  const filters = { contactId }
  const query = useInfiniteQuery({
    queryKey: crmKeys.bookingList(clientId, filters),
    queryFn: ({ pageParam, signal }) => listBookings(clientId, filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  return (
    <Card title="Bookings">
      <QueryState query={query} label="Loading bookings…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return <p className="text-sm text-slate-600">No bookings yet. Extract one from a WhatsApp conversation.</p>
          return (
            <>
              <ul aria-label="Bookings" className="divide-y divide-slate-200">
                {items.map((b) => (
                  <BookingItem key={b.id} booking={b} />
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </Card>
  )
}
