import { Link } from 'react-router'
import { Badge } from '../../ui/Badge.tsx'
import type { Tone } from '../../ui/Badge.tsx'
import type { Booking, BookingStatus } from './api.ts'
import { bookingTime, contactPath, formatDay, formatMoney } from './format.ts'

export const STATUS_TONES: Record<BookingStatus, Tone> = {
  tentative: 'amber',
  confirmed: 'green',
  cancelled: 'red',
  done: 'slate',
}
export const STATUS_LABELS: Record<BookingStatus, string> = {
  tentative: 'Tentative',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  done: 'Done',
}

/** One booking as a list row: when, where, what, how much; `withContact` links to its contact. */
export function BookingItem({ booking: b, withContact = false }: { booking: Booking; withContact?: boolean }) {
  return (
    <li id={`booking-${b.id}`} data-testid="booking-item" className="flex flex-wrap items-start gap-x-4 gap-y-1 py-3">
      <div className="min-w-0 flex-1">
        <p className="font-medium text-slate-900">
          {formatDay(b.date)}
          <span className="text-slate-600"> · {bookingTime(b)}</span>
          <span className="text-xs font-normal text-slate-500"> ({b.timeZone})</span>
        </p>
        <p className="text-sm break-words text-slate-600">
          {[b.location, b.items.join(', ')].filter(Boolean).join(' · ') || 'No place or items'}
        </p>
        {b.notes && <p className="text-sm break-words text-slate-500">{b.notes}</p>}
        {withContact && (
          <Link to={contactPath(b.contactId)} className="text-sm text-indigo-700 hover:underline">
            Open the contact
          </Link>
        )}
      </div>
      <div className="flex items-center gap-2">
        <span className="text-sm font-semibold text-slate-900" data-testid="booking-amount">
          {b.amount ? formatMoney(b.amount.minor, b.amount.currency) : '—'}
        </span>
        <Badge tone={STATUS_TONES[b.status]}>{STATUS_LABELS[b.status]}</Badge>
      </div>
    </li>
  )
}
