import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { cx } from '../../lib/cx.ts'
import { Button } from '../../ui/Button.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { crmKeys, listBookings } from './api.ts'
import type { Booking, BookingStatus } from './api.ts'
import { BookingItem } from './BookingItem.tsx'
import { bookingTime } from './format.ts'
import { Icon } from './icons.tsx'

const pad = (n: number) => String(n).padStart(2, '0')
const iso = (y: number, m: number, d: number) => `${y}-${pad(m + 1)}-${pad(d)}`
const monthTitle = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' })
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' })
// Monday first: 2024-01-01 was a Monday.
const WEEKDAYS = Array.from({ length: 7 }, (_, i) => weekday.format(new Date(2024, 0, 1 + i)))

/** A month of bookings (the first 100 of it); a day opens its bookings below the grid. */
export function BookingsCalendar({ clientId, status }: { clientId: string; status: BookingStatus | undefined }) {
  const today = new Date()
  const [month, setMonth] = useState({ y: today.getFullYear(), m: today.getMonth() })
  const [day, setDay] = useState<string | null>(null)
  const days = new Date(month.y, month.m + 1, 0).getDate()
  const filters = { status, from: iso(month.y, month.m, 1), to: iso(month.y, month.m, days) }
  const query = useQuery({
    queryKey: [...crmKeys.bookingList(clientId, filters), 'month'],
    queryFn: ({ signal }) => listBookings(clientId, filters, undefined, signal, 100),
  })
  const shift = (by: number) => {
    setDay(null)
    setMonth(({ y, m }) => ({ y: m + by < 0 ? y - 1 : m + by > 11 ? y + 1 : y, m: (m + by + 12) % 12 }))
  }
  const lead = (new Date(month.y, month.m, 1).getDay() + 6) % 7
  return (
    <section aria-label="Calendar">
      <div className="mb-3 flex items-center justify-between gap-2">
        <Button variant="secondary" onClick={() => shift(-1)} aria-label="Previous month">
          <Icon name="chevronLeft" />
        </Button>
        <h2 className="text-base font-semibold text-slate-900" aria-live="polite">
          {monthTitle.format(new Date(month.y, month.m, 1))}
        </h2>
        <Button variant="secondary" onClick={() => shift(1)} aria-label="Next month">
          <Icon name="chevronRight" />
        </Button>
      </div>
      <QueryState query={query} label="Loading the month…">
        {(data) => {
          const byDay = new Map<string, Booking[]>()
          for (const b of data.items) byDay.set(b.date, [...(byDay.get(b.date) ?? []), b])
          const chosen = day ? (byDay.get(day) ?? []) : []
          return (
            <>
              <div className="grid grid-cols-7 gap-px overflow-hidden rounded-lg border border-slate-200 bg-slate-200">
                {WEEKDAYS.map((w) => (
                  <div key={w} className="bg-slate-50 px-1 py-1 text-center text-xs font-medium text-slate-600">
                    {w}
                  </div>
                ))}
                {Array.from({ length: lead }, (_, i) => (
                  <div key={`lead-${i}`} className="bg-white" />
                ))}
                {Array.from({ length: days }, (_, i) => {
                  const date = iso(month.y, month.m, i + 1)
                  const list = byDay.get(date) ?? []
                  return (
                    <button
                      type="button"
                      key={date}
                      onClick={() => setDay(date)}
                      aria-pressed={day === date}
                      aria-label={`${date}: ${list.length} ${list.length === 1 ? 'booking' : 'bookings'}`}
                      className={cx(
                        'min-h-14 bg-white p-1 text-left align-top hover:bg-indigo-50 sm:min-h-20',
                        day === date && 'ring-2 ring-indigo-500 ring-inset',
                      )}
                    >
                      <span className="text-xs font-medium text-slate-700">{i + 1}</span>
                      {list.length > 0 && (
                        <span className="mt-1 block">
                          <span className="inline-flex rounded-full bg-indigo-100 px-1.5 text-xs font-medium text-indigo-800">
                            {list.length}
                          </span>
                          <span className="mt-0.5 hidden truncate text-xs text-slate-600 sm:block">
                            {list[0]!.time ? bookingTime(list[0]!) : ''} {list[0]!.location ?? list[0]!.items[0] ?? ''}
                          </span>
                        </span>
                      )}
                    </button>
                  )
                })}
              </div>
              {data.nextCursor && (
                <p className="mt-2 text-xs text-slate-500">This month has more bookings than shown: use the list.</p>
              )}
              {day && (
                <div className="mt-4 rounded-lg border border-slate-200 bg-white px-4">
                  {chosen.length === 0 ? (
                    <p className="py-3 text-sm text-slate-600">No bookings on {day}.</p>
                  ) : (
                    <ul aria-label={`Bookings on ${day}`} className="divide-y divide-slate-200">
                      {chosen.map((b) => (
                        <BookingItem key={b.id} booking={b} withContact />
                      ))}
                    </ul>
                  )}
                </div>
              )}
            </>
          )
        }}
      </QueryState>
    </section>
  )
}
