import { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type { BookingListQuery, ContactListQuery } from '../../../contracts/crm.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Bookings } from './bookings.ts'
import type { Contacts } from './contacts.ts'
import type { CrmTables } from './crm.tables.ts'

/** Rows read per query: a client with 100,000 contacts is streamed a page at a time, never held in memory. */
export const EXPORT_BATCH = 500

/**
 * A CSV cell (RFC 4180), safe to open in a spreadsheet: a value starting with = + - @ tab or CR is prefixed with `'`
 * so it is never read as a formula (OWASP CSV injection); quoted when it holds a comma, a quote or a line break.
 */
export const csvCell = (v: string | number | null | undefined) => {
  const s = v === null || v === undefined ? '' : String(v)
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}
const csvLine = (cells: (string | number | null | undefined)[]) => `${cells.map(csvCell).join(',')}\r\n`

/** Minor units as a decimal string in the currency's own digits (`80000` RON → `800.00`, `500` JPY → `500`). */
export const decimalOf = (minor: number, currency: string) => {
  let digits = 2
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    // A code Intl does not know keeps two digits.
  }
  const sign = minor < 0 ? '-' : ''
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0')
  return digits ? `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}` : `${sign}${abs}`
}

const CONTACT_COLUMNS = [
  'id',
  'name',
  'phones',
  'emails',
  'whatsapp',
  'tags',
  'company',
  'owner_id',
  'bookings',
  'spend',
  'first_booking',
  'last_booking',
  'archived',
  'created_at',
  'fields',
]
const BOOKING_COLUMNS = [
  'id',
  'date',
  'time',
  'time_zone',
  'status',
  'contact_id',
  'contact_name',
  'location',
  'items',
  'amount',
  'currency',
  'notes',
  'created_at',
]

/**
 * CSV exports of a client's contacts and bookings (issue 14 §11): the list routes' filters, read in keyset pages of
 * {@link EXPORT_BATCH} through the same list functions, streamed as they are read; audited when they start.
 */
export const createExports = (deps: {
  db: Kysely<CrmTables>
  contacts: Contacts
  bookings: Bookings
  audit: AuditService
}) => {
  const { db } = deps
  const namesOf = async (table: 'crmCompanies' | 'crmContacts', clientId: string, ids: (string | null)[]) => {
    const wanted = [...new Set(ids.filter((id): id is string => !!id))]
    if (!wanted.length) return new Map<string, string>()
    const rows = await db
      .selectFrom(table)
      .select(['id', 'name'])
      .where('clientId', '=', clientId)
      .where('id', 'in', wanted)
      .execute()
    return new Map(rows.map((r) => [r.id, r.name]))
  }
  const audited = (
    scope: ClientScope,
    action: 'contacts.exported' | 'bookings.exported',
    filters: object,
    meta: RequestMeta,
  ) =>
    deps.audit.record(db, {
      action,
      workspaceId: scope.workspaceId,
      actorUserId: scope.userId,
      targetType: 'client',
      targetId: scope.clientId,
      ip: meta.ip,
      metadata: { clientId: scope.clientId, filters },
    })

  async function* contactLines(scope: ClientScope, q: Omit<ContactListQuery, 'cursor' | 'limit'>) {
    yield `\uFEFF${csvLine(CONTACT_COLUMNS)}`
    let cursor: string | undefined
    do {
      const page = await deps.contacts.list(scope, { ...q, cursor, limit: EXPORT_BATCH })
      const companies = await namesOf(
        'crmCompanies',
        scope.clientId,
        page.items.map((c) => c.companyId),
      )
      yield page.items
        .map((c) =>
          csvLine([
            c.id,
            c.name,
            c.phones.join('; '),
            c.emails.join('; '),
            c.identities.join('; '),
            c.tags.join('; '),
            c.companyId ? companies.get(c.companyId) : '',
            c.ownerId,
            c.profile.bookingsCount,
            c.profile.spend.map((s) => `${decimalOf(s.amountMinor, s.currency)} ${s.currency}`).join('; '),
            c.profile.firstBookingDate,
            c.profile.lastBookingDate,
            c.archived ? 'yes' : 'no',
            c.createdAt,
            Object.keys(c.fields).length ? JSON.stringify(c.fields) : '',
          ]),
        )
        .join('')
      cursor = page.nextCursor ?? undefined
    } while (cursor)
  }

  async function* bookingLines(scope: ClientScope, q: Omit<BookingListQuery, 'cursor' | 'limit'>) {
    yield `\uFEFF${csvLine(BOOKING_COLUMNS)}`
    let cursor: string | undefined
    do {
      const page = await deps.bookings.list(scope, { ...q, cursor, limit: EXPORT_BATCH })
      const contacts = await namesOf(
        'crmContacts',
        scope.clientId,
        page.items.map((b) => b.contactId),
      )
      yield page.items
        .map((b) =>
          csvLine([
            b.id,
            b.date,
            b.time,
            b.timeZone,
            b.status,
            b.contactId,
            contacts.get(b.contactId),
            b.location,
            b.items.join('; '),
            b.amount ? decimalOf(b.amount.minor, b.amount.currency) : '',
            b.amount?.currency,
            b.notes,
            b.createdAt,
          ]),
        )
        .join('')
      cursor = page.nextCursor ?? undefined
    } while (cursor)
  }

  return {
    contacts: async (scope: ClientScope, q: Omit<ContactListQuery, 'cursor' | 'limit'>, meta: RequestMeta) => {
      await audited(scope, 'contacts.exported', q, meta)
      return Readable.from(contactLines(scope, q))
    },
    bookings: async (scope: ClientScope, q: Omit<BookingListQuery, 'cursor' | 'limit'>, meta: RequestMeta) => {
      await audited(scope, 'bookings.exported', q, meta)
      return Readable.from(bookingLines(scope, q))
    },
  }
}
export type Exports = ReturnType<typeof createExports>
