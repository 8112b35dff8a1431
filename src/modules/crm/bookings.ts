import type { Kysely } from 'kysely'
import type { BookingCreate, BookingDto, BookingListQuery, BookingPatch } from '../../../contracts/crm.ts'
import type { Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage } from '../../platform/db/pagination.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { liveContact } from './contacts.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmEvents } from './crm.events.ts'
import type { BookingRow, CrmTables } from './crm.tables.ts'
import { applyFieldValues, isCalendarDate, type FieldDefinitions } from './fields.ts'
import { profiles } from './profiles.ts'

/** The inbox's check that a booking's source messages are in that thread of the client. */
export type SourceCheck = (handle: Handle, clientId: string, threadId: string, messageIds: string[]) => Promise<boolean>

export const bookingDto = (b: BookingRow): BookingDto => ({
  id: b.id,
  contactId: b.contactId,
  date: b.date,
  time: b.time,
  timeZone: b.timeZone,
  location: b.location,
  items: b.items,
  amount: b.amountMinor !== null && b.currency ? { minor: Number(b.amountMinor), currency: b.currency } : null,
  status: b.status,
  notes: b.notes,
  fields: b.fields,
  source: b.sourceThreadId ? { threadId: b.sourceThreadId, messageIds: b.sourceMessageIds ?? [] } : null,
  createdBy: b.createdBy,
  createdAt: b.createdAt.toISOString(),
  updatedAt: b.updatedAt.toISOString(),
})

/** Whether `tz` is an IANA time zone name this runtime knows (Intl refuses unknown ones; offsets are not names). */
export const isTimeZone = (tz: string) => {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(tz)) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

const checkWhen = (b: { date?: string; timeZone?: string }) => {
  if (b.date !== undefined && !isCalendarDate(b.date)) throw crmErrors.invalid_date({ date: b.date })
  if (b.timeZone !== undefined && !isTimeZone(b.timeZone)) throw crmErrors.invalid_time_zone({ timeZone: b.timeZone })
}

/**
 * Bookings (events a contact booked). Every write locks the contact's profile row first and computes its figures
 * again before committing (profiles.ts): the figures are never behind the bookings. Saving twice makes two bookings.
 */
export const createBookings = (deps: {
  db: Kysely<CrmTables>
  events: Emits<CrmEvents>
  fields: FieldDefinitions
  sourceCheck: SourceCheck
}) => {
  const { db, events } = deps

  const saved = (trx: Kysely<CrmTables>, scope: ClientScope, b: BookingRow, created: boolean) =>
    events.emit(trx, 'crm.booking-saved', {
      workspaceId: scope.workspaceId,
      clientId: scope.clientId,
      bookingId: b.id,
      contactId: b.contactId,
      created,
      status: b.status,
    })

  const bookingRow = async (h: Kysely<CrmTables>, clientId: string, id: string) => {
    const row = await h
      .selectFrom('crmBookings')
      .selectAll()
      .where('clientId', '=', clientId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw crmErrors.booking_not_found()
    return row
  }

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmBookings').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    list: async (scope: ClientScope, q: BookingListQuery) => {
      let query = db.selectFrom('crmBookings').selectAll().where('clientId', '=', scope.clientId)
      if (q.contactId) query = query.where('contactId', '=', q.contactId)
      if (q.status) query = query.where('status', '=', q.status)
      if (q.from) query = query.where('date', '>=', q.from)
      if (q.to) query = query.where('date', '<=', q.to)
      const page = await newestFirstPage(query, q)
      return { items: page.items.map((b) => bookingDto(b as BookingRow)), nextCursor: page.nextCursor }
    },

    get: async (scope: ClientScope, id: string) => bookingDto(await bookingRow(db, scope.clientId, id)),

    create: async (scope: ClientScope, body: BookingCreate) => {
      checkWhen(body)
      const fields = applyFieldValues(await deps.fields.of(db, scope.clientId, 'booking'), {}, body.fields)
      return db.transaction().execute(async (trx) => {
        await liveContact(trx, scope.clientId, body.contactId)
        if (body.source && !(await deps.sourceCheck(trx, scope.clientId, body.source.threadId, body.source.messageIds)))
          throw crmErrors.invalid_source()
        await profiles.lock(trx, scope.clientId, body.contactId)
        const row = await trx
          .insertInto('crmBookings')
          .values({
            id: newId('bk'),
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            contactId: body.contactId,
            date: body.date,
            time: body.time ?? null,
            timeZone: body.timeZone,
            location: body.location ?? null,
            items: JSON.stringify(body.items ?? []),
            amountMinor: body.amount?.minor ?? null,
            currency: body.amount?.currency ?? null,
            status: body.status,
            notes: body.notes ?? null,
            fields: JSON.stringify(fields),
            sourceThreadId: body.source?.threadId ?? null,
            sourceMessageIds: body.source ? JSON.stringify([...new Set(body.source.messageIds)]) : null,
            createdBy: scope.userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await profiles.recompute(trx, scope.clientId, body.contactId)
        await saved(trx, scope, row, true)
        return bookingDto(row)
      })
    },

    /** Changes a booking (status, amount, date…); its contact's figures are computed again in the same transaction. */
    update: async (scope: ClientScope, id: string, body: BookingPatch) => {
      checkWhen(body)
      const defs = body.fields ? await deps.fields.of(db, scope.clientId, 'booking') : []
      const { contactId } = await bookingRow(db, scope.clientId, id)
      return db.transaction().execute(async (trx) => {
        // The profile first, then the booking: the order every booking write takes its locks in.
        await profiles.lock(trx, scope.clientId, contactId)
        const current = await trx
          .selectFrom('crmBookings')
          .selectAll()
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirstOrThrow()
        // A merge moved it meanwhile: its new contact's profile is the one to lock (once more, in order).
        if (current.contactId !== contactId) await profiles.lock(trx, scope.clientId, current.contactId)
        const row = await trx
          .updateTable('crmBookings')
          .set({
            ...(body.date !== undefined ? { date: body.date } : {}),
            ...(body.time !== undefined ? { time: body.time } : {}),
            ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}),
            ...(body.location !== undefined ? { location: body.location } : {}),
            ...(body.items !== undefined ? { items: JSON.stringify(body.items) } : {}),
            ...(body.amount !== undefined
              ? { amountMinor: body.amount?.minor ?? null, currency: body.amount?.currency ?? null }
              : {}),
            ...(body.status !== undefined ? { status: body.status } : {}),
            ...(body.notes !== undefined ? { notes: body.notes } : {}),
            ...(body.fields ? { fields: JSON.stringify(applyFieldValues(defs, current.fields, body.fields)) } : {}),
            updatedAt: new Date(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await profiles.recompute(trx, scope.clientId, row.contactId)
        await saved(trx, scope, row, false)
        return bookingDto(row)
      })
    },
  }
}
export type Bookings = ReturnType<typeof createBookings>
