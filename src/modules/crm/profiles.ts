import { sql, type Kysely } from 'kysely'
import type { ProfileDto } from '../../../contracts/crm.ts'
import type { CrmTables } from './crm.tables.ts'

/**
 * A contact's figures (ADR 0006): bookings count, lifetime spend per currency, first and last booking date — all over
 * the bookings that are not cancelled — and when the contact last wrote. Written in the transaction of every booking
 * write, under the profile row's lock: the figures are computed again from the contact's bookings while the lock is
 * held, so concurrent saves for one contact queue on the row and the last to commit sees every booking before it.
 */
export const profiles = {
  /** Takes the contact's profile row lock (creating the row first), for the rest of the transaction. */
  lock: async (trx: Kysely<CrmTables>, clientId: string, contactId: string) => {
    await trx
      .insertInto('crmContactProfiles')
      .values({ contactId, clientId })
      .onConflict((oc) => oc.doNothing())
      .execute()
    await trx
      .selectFrom('crmContactProfiles')
      .select('contactId')
      .where('contactId', '=', contactId)
      .forUpdate()
      .execute()
  },

  /** The figures again from the contact's bookings; call with the lock held (`lock`) in the booking's transaction. */
  recompute: async (trx: Kysely<CrmTables>, clientId: string, contactId: string) => {
    const live = trx
      .selectFrom('crmBookings')
      .where('clientId', '=', clientId)
      .where('contactId', '=', contactId)
      .where('status', '<>', 'cancelled')
    const totals = await live
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('date').as('first'), eb.fn.max('date').as('last')])
      .executeTakeFirstOrThrow()
    const spend = await live
      .where('amountMinor', 'is not', null)
      .select(['currency', sql<string>`sum(amount_minor)`.as('sum')])
      .groupBy('currency')
      .execute()
    await trx
      .updateTable('crmContactProfiles')
      .set({
        bookingsCount: Number(totals.n),
        firstBookingDate: totals.first ?? null,
        lastBookingDate: totals.last ?? null,
        updatedAt: new Date(),
      })
      .where('contactId', '=', contactId)
      .execute()
    // A currency the contact no longer spends in keeps its row at zero (rows are never deleted).
    await trx.updateTable('crmContactSpend').set({ amountMinor: 0 }).where('contactId', '=', contactId).execute()
    for (const s of spend)
      await trx
        .insertInto('crmContactSpend')
        .values({ contactId, currency: s.currency!, amountMinor: s.sum })
        .onConflict((oc) => oc.columns(['contactId', 'currency']).doUpdateSet({ amountMinor: s.sum }))
        .execute()
  },

  /** The contact wrote at `at`: the last contact time moves forward only (an atomic upsert). */
  touch: async (trx: Kysely<CrmTables>, clientId: string, contactId: string, at: Date) =>
    trx
      .insertInto('crmContactProfiles')
      .values({ contactId, clientId, lastContactAt: at })
      .onConflict((oc) =>
        oc.column('contactId').doUpdateSet({
          lastContactAt: sql<Date>`greatest(crm_contact_profiles.last_contact_at, excluded.last_contact_at)`,
        }),
      )
      .execute(),

  /** The figures of contacts, by id (a contact without a row has none yet). */
  of: async (h: Kysely<CrmTables>, contactIds: string[]): Promise<Map<string, ProfileDto>> => {
    const out = new Map<string, ProfileDto>()
    if (contactIds.length === 0) return out
    const rows = await h.selectFrom('crmContactProfiles').selectAll().where('contactId', 'in', contactIds).execute()
    const spend = await h
      .selectFrom('crmContactSpend')
      .selectAll()
      .where('contactId', 'in', contactIds)
      .where('amountMinor', '>', 0n)
      .orderBy('currency')
      .execute()
    for (const id of contactIds) {
      const r = rows.find((p) => p.contactId === id)
      out.set(id, {
        bookingsCount: r?.bookingsCount ?? 0,
        spend: spend
          .filter((s) => s.contactId === id)
          .map((s) => ({ currency: s.currency, amountMinor: Number(s.amountMinor) })),
        firstBookingDate: r?.firstBookingDate ?? null,
        lastBookingDate: r?.lastBookingDate ?? null,
        lastContactAt: r?.lastContactAt?.toISOString() ?? null,
      })
    }
    return out
  },
}
