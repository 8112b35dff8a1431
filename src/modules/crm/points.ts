import { sql, type Kysely } from 'kysely'
import { newId } from '../../platform/db/ids.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables, PointState } from './crm.tables.ts'

/**
 * A contact's phones, emails and WhatsApp identities ("points"): one table each, a row per value with its state
 * (`active` on a live contact — unique per client by a partial index —, `inactive` on an archived one, `removed`).
 * Never deleted: a value taken off a contact is `removed`, an erased one also loses its value.
 */
export type PointKind = 'phone' | 'email' | 'identity'

const TABLE = { phone: 'crmContactPhones', email: 'crmContactEmails', identity: 'crmContactIdentities' } as const
const COLUMN = { phone: 'phone', email: 'email', identity: 'waId' } as const
const PREFIX = { phone: 'cph', email: 'cem', identity: 'cwa' } as const

type PointRow = { id: string; contactId: string; value: string | null; state: PointState }

const rows = (h: Kysely<CrmTables>, kind: PointKind) =>
  h
    .selectFrom(TABLE[kind] as 'crmContactPhones')
    .select(['id', 'contactId', `${COLUMN[kind]} as value` as 'phone as value', 'state'])

/** The values of contacts, by contact id (removed ones left out), oldest first. */
export const pointsOf = async (h: Kysely<CrmTables>, kind: PointKind, contactIds: string[]) => {
  const out = new Map<string, string[]>()
  if (contactIds.length === 0) return out
  const found = (await rows(h, kind)
    .where('contactId', 'in', contactIds)
    .where('state', '<>', 'removed')
    .orderBy('createdAt')
    .orderBy('id')
    .execute()) as PointRow[]
  for (const r of found) if (r.value) out.set(r.contactId, [...(out.get(r.contactId) ?? []), r.value])
  return out
}

/** The contact holding `value` among the client's rows that block it (active; for identities, any not removed). */
export const holderOf = async (h: Kysely<CrmTables>, kind: PointKind, clientId: string, value: string) => {
  let q = rows(h, kind)
    .where('clientId', '=', clientId)
    .where(COLUMN[kind] as 'phone', '=', value)
  q = kind === 'identity' ? q.where('state', '<>', 'removed') : q.where('state', '=', 'active')
  return ((await q.executeTakeFirst()) as PointRow | undefined)?.contactId ?? null
}

/**
 * Adds `value` to a contact. The insert does nothing when the value already blocks (the unique index decides, also
 * against a concurrent insert, which it waits for): then the holder is named in a 409 — unless it is this contact.
 */
export const addPoint = async (
  trx: Kysely<CrmTables>,
  kind: PointKind,
  p: { clientId: string; contactId: string; value: string; live: boolean },
) => {
  const state: PointState = p.live ? 'active' : 'inactive'
  const inserted = await trx
    .insertInto(TABLE[kind] as 'crmContactPhones')
    .values({
      id: newId(PREFIX[kind]),
      clientId: p.clientId,
      contactId: p.contactId,
      [COLUMN[kind]]: p.value,
      state,
      // Not now(): a contact's values added in one transaction keep the order they were given in (read by createdAt).
      createdAt: sql`clock_timestamp()`,
    } as never)
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted) return
  const holder = await holderOf(trx, kind, p.clientId, p.value)
  if (holder === p.contactId) return
  throw crmErrors.duplicate_contact({ existingId: holder, field: kind, value: p.value })
}

/** Makes the contact's values exactly `values`: new ones added (409 when another live contact has one), others removed. */
export const setPoints = async (
  trx: Kysely<CrmTables>,
  kind: PointKind,
  p: { clientId: string; contactId: string; values: string[]; live: boolean },
) => {
  const current = (await rows(trx, kind)
    .where('contactId', '=', p.contactId)
    .where('state', '<>', 'removed')
    .execute()) as PointRow[]
  const gone = current.filter((r) => !r.value || !p.values.includes(r.value)).map((r) => r.id)
  if (gone.length)
    await trx
      .updateTable(TABLE[kind] as 'crmContactPhones')
      .set({ state: 'removed' })
      .where('id', 'in', gone)
      .execute()
  for (const value of new Set(p.values))
    if (!current.some((r) => r.value === value)) await addPoint(trx, kind, { ...p, value })
}

/** Archiving frees a contact's phones and emails for other contacts (identities stay with it); restoring takes them back. */
export const setPointsLive = async (trx: Kysely<CrmTables>, clientId: string, contactId: string, live: boolean) => {
  for (const kind of ['phone', 'email', 'identity'] as const) {
    const from: PointState = live ? 'inactive' : 'active'
    const moving = (await rows(trx, kind)
      .where('contactId', '=', contactId)
      .where('state', '=', from)
      .execute()) as PointRow[]
    for (const r of moving) {
      if (live && r.value && kind !== 'identity') {
        const holder = await holderOf(trx, kind, clientId, r.value)
        if (holder && holder !== contactId)
          throw crmErrors.duplicate_contact({ existingId: holder, field: kind, value: r.value })
      }
      await trx
        .updateTable(TABLE[kind] as 'crmContactPhones')
        .set({ state: live ? 'active' : 'inactive' })
        .where('id', '=', r.id)
        .execute()
    }
  }
}

/**
 * Merge: the other contact's values move to the survivor (live: active), except those the survivor — or, for an
 * archived other's phone, a third live contact — already holds, which are removed from the other.
 */
export const movePoints = async (trx: Kysely<CrmTables>, clientId: string, fromId: string, toId: string) => {
  for (const kind of ['phone', 'email', 'identity'] as const) {
    const moving = (await rows(trx, kind)
      .where('contactId', '=', fromId)
      .where('state', '<>', 'removed')
      .execute()) as PointRow[]
    for (const r of moving) {
      const holder = r.value ? await holderOf(trx, kind, clientId, r.value) : null
      const keep = r.value !== null && (holder === null || holder === fromId)
      await trx
        .updateTable(TABLE[kind] as 'crmContactPhones')
        .set(keep ? { contactId: toId, state: 'active' } : { state: 'removed' })
        .where('id', '=', r.id)
        .execute()
    }
  }
}

/** Erasure: every value of the contact cleared and removed. */
export const erasePoints = async (trx: Kysely<CrmTables>, contactId: string) => {
  for (const kind of ['phone', 'email', 'identity'] as const)
    await trx
      .updateTable(TABLE[kind] as 'crmContactPhones')
      .set({ [COLUMN[kind]]: null, state: 'removed' } as never)
      .where('contactId', '=', contactId)
      .execute()
}
