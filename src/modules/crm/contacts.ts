import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import type { ContactCreate, ContactListQuery, ContactPatch } from '../../../contracts/crm.ts'
import type { Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Companies } from './companies.ts'
import { contactDto, contactDtos } from './contact-dto.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmEvents } from './crm.events.ts'
import type { ContactRow, CrmTables, FieldValues } from './crm.tables.ts'
import { applyFieldValues, type FieldDefinitions } from './fields.ts'
import { toE164 } from './phones.ts'
import { addPoint, holderOf, setPoints, setPointsLive } from './points.ts'
import type { CrmSettings } from './settings.ts'

/** Tenancy's check that a user is a member of a workspace (a contact's owner must be). */
export type MemberCheck = (handle: Handle, workspaceId: string, userId: string) => Promise<boolean>

export type ContactsDeps = {
  db: Kysely<CrmTables>
  audit: AuditService
  events: Emits<CrmEvents>
  memberOf: MemberCheck
  settings: CrmSettings
  fields: FieldDefinitions
  companies: Companies
}

/** A `LIKE` pattern matching `q` anywhere, its wildcards taken literally. */
const containing = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * Inserts a contact with its phones, emails and identities, and tells the bus (`crm.contact-created`) in `trx`. A
 * value another live contact of the client holds is a 409 naming it; the transaction then rolls everything back.
 */
export const insertContact = async (
  trx: Kysely<CrmTables>,
  events: Emits<CrmEvents>,
  c: {
    workspaceId: string
    clientId: string
    name: string
    phones: string[]
    emails: string[]
    identities: string[]
    tags?: string[]
    fields?: FieldValues
    ownerId?: string | null
    companyId?: string | null
    createdBy: string | null
    source: 'api' | 'inbox' | 'import'
  },
) => {
  const row = await trx
    .insertInto('crmContacts')
    .values({
      id: newId('ct'),
      workspaceId: c.workspaceId,
      clientId: c.clientId,
      name: c.name,
      tags: JSON.stringify([...new Set(c.tags ?? [])]),
      fields: JSON.stringify(c.fields ?? {}),
      ownerId: c.ownerId ?? null,
      companyId: c.companyId ?? null,
      createdBy: c.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  const at = { clientId: c.clientId, contactId: row.id, live: true }
  for (const value of new Set(c.phones)) await addPoint(trx, 'phone', { ...at, value })
  for (const value of new Set(c.emails)) await addPoint(trx, 'email', { ...at, value })
  for (const value of new Set(c.identities)) await addPoint(trx, 'identity', { ...at, value })
  await events.emit(trx, 'crm.contact-created', {
    workspaceId: c.workspaceId,
    clientId: c.clientId,
    contactId: row.id,
    source: c.source,
  })
  return row
}

/** A contact of the client, locked for the rest of the transaction when `lock` (FOR NO KEY UPDATE). */
export const contactRow = async (h: Kysely<CrmTables>, clientId: string, id: string, lock = false) => {
  const q = h.selectFrom('crmContacts').selectAll().where('clientId', '=', clientId).where('id', '=', id)
  const row = await (lock ? q.forNoKeyUpdate() : q).executeTakeFirst()
  if (!row) throw crmErrors.contact_not_found()
  return row
}

/** A contact of the client that is live (not archived, merged or erased): what a deal or a booking is for. */
export const liveContact = async (h: Kysely<CrmTables>, clientId: string, id: string) => {
  const row = await contactRow(h, clientId, id)
  if (row.archivedAt) throw crmErrors.contact_archived()
  return row
}

export const createContacts = (deps: ContactsDeps) => {
  const { db, audit, events } = deps

  /** Phones as typed → E.164 in the client's default country (read before any transaction opens). */
  const normalisePhones = async (clientId: string, phones: string[] | undefined) => {
    if (!phones?.length) return phones
    const country = await deps.settings.defaultCountry(db, clientId)
    return phones.map((p) => toE164(p, country))
  }

  const checkOwnerAndCompany = async (
    trx: Kysely<CrmTables>,
    scope: ClientScope,
    b: { ownerId?: string | null; companyId?: string | null },
  ) => {
    if (b.ownerId && !(await deps.memberOf(trx, scope.workspaceId, b.ownerId))) throw crmErrors.owner_not_member()
    if (b.companyId && !(await deps.companies.exists(trx, scope.clientId, b.companyId)))
      throw crmErrors.company_not_found()
  }

  const audited = (
    trx: Kysely<CrmTables>,
    scope: ClientScope,
    action: 'contact.created' | 'contact.archived' | 'contact.restored',
    id: string,
    meta: RequestMeta,
  ) =>
    audit.record(trx, {
      action,
      workspaceId: scope.workspaceId,
      actorUserId: scope.userId,
      targetType: 'crm_contact',
      targetId: id,
      ip: meta.ip,
      metadata: { clientId: scope.clientId },
    })

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmContacts').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    list: async (scope: ClientScope, q: ContactListQuery) => {
      let query = db.selectFrom('crmContacts').selectAll().where('clientId', '=', scope.clientId)
      if (q.archived === 'exclude') query = query.where('archivedAt', 'is', null)
      if (q.archived === 'only') query = query.where('archivedAt', 'is not', null)
      if (q.owner) query = query.where('ownerId', '=', q.owner)
      if (q.tag) query = query.where(sql<boolean>`tags @> ${JSON.stringify([q.tag])}::jsonb`)
      const text = q.q
      if (text) {
        const like = containing(text)
        const digits = text.replace(/[^\d]/g, '')
        query = query.where((eb) =>
          eb.or([
            eb('name', 'ilike', like),
            eb.exists(
              eb
                .selectFrom('crmContactEmails as e')
                .select('e.id')
                .whereRef('e.contactId', '=', 'crmContacts.id')
                .where('e.state', '<>', 'removed')
                .where('e.email', 'like', containing(text.toLowerCase())),
            ),
            ...(digits.length >= 3
              ? [
                  eb.exists(
                    eb
                      .selectFrom('crmContactPhones as p')
                      .select('p.id')
                      .whereRef('p.contactId', '=', 'crmContacts.id')
                      .where('p.state', '<>', 'removed')
                      .where('p.phone', 'like', containing(digits)),
                  ),
                  eb.exists(
                    eb
                      .selectFrom('crmContactIdentities as i')
                      .select('i.id')
                      .whereRef('i.contactId', '=', 'crmContacts.id')
                      .where('i.state', '<>', 'removed')
                      .where('i.waId', 'like', containing(digits)),
                  ),
                ]
              : []),
          ]),
        )
      }
      const page = await newestFirstPage(query, q)
      return { items: await contactDtos(db, page.items as ContactRow[]), nextCursor: page.nextCursor }
    },

    get: async (scope: ClientScope, id: string) => contactDto(db, await contactRow(db, scope.clientId, id)),

    create: async (scope: ClientScope, body: ContactCreate, meta: RequestMeta) => {
      const phones = (await normalisePhones(scope.clientId, body.phones)) ?? []
      const fields = applyFieldValues(await deps.fields.of(db, scope.clientId, 'contact'), {}, body.fields)
      return db.transaction().execute(async (trx) => {
        await checkOwnerAndCompany(trx, scope, body)
        const row = await insertContact(trx, events, {
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          name: body.name,
          phones,
          emails: body.emails ?? [],
          identities: body.identities ?? [],
          tags: body.tags,
          fields,
          ownerId: body.ownerId,
          companyId: body.companyId,
          createdBy: scope.userId,
          source: 'api',
        })
        await audited(trx, scope, 'contact.created', row.id, meta)
        return contactDto(trx, row)
      })
    },

    update: async (scope: ClientScope, id: string, body: ContactPatch) => {
      const phones = await normalisePhones(scope.clientId, body.phones)
      const defs = body.fields ? await deps.fields.of(db, scope.clientId, 'contact') : []
      return db.transaction().execute(async (trx) => {
        const current = await contactRow(trx, scope.clientId, id, true)
        if (current.erasedAt) throw crmErrors.contact_erased()
        await checkOwnerAndCompany(trx, scope, body)
        const at = { clientId: scope.clientId, contactId: id, live: current.archivedAt === null }
        if (phones) await setPoints(trx, 'phone', { ...at, values: phones })
        if (body.emails) await setPoints(trx, 'email', { ...at, values: body.emails })
        if (body.identities) await setPoints(trx, 'identity', { ...at, values: body.identities })
        const row = await trx
          .updateTable('crmContacts')
          .set({
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.tags ? { tags: JSON.stringify([...new Set(body.tags)]) } : {}),
            ...(body.fields ? { fields: JSON.stringify(applyFieldValues(defs, current.fields, body.fields)) } : {}),
            ...(body.ownerId !== undefined ? { ownerId: body.ownerId } : {}),
            ...(body.companyId !== undefined ? { companyId: body.companyId } : {}),
            updatedAt: new Date(),
          })
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        return contactDto(trx, row)
      })
    },

    /**
     * The client's live contact with this phone or email, its tags added; created when none has them (a flow's "Create
     * or update contact"). Locked by the unique indexes: two at once make one contact (the second's insert meets the
     * first's value and is answered as a duplicate, which the caller may retry).
     */
    upsert: async (scope: ClientScope, c: { name: string; phone?: string; email?: string; tags?: string[] }) => {
      const [phone] = (await normalisePhones(scope.clientId, c.phone ? [c.phone] : [])) ?? []
      const email = c.email?.trim().toLowerCase()
      if (email && !z.email().safeParse(email).success) throw crmErrors.invalid_email({ email })
      return db.transaction().execute(async (trx) => {
        const holder =
          (phone ? await holderOf(trx, 'phone', scope.clientId, phone) : null) ??
          (email ? await holderOf(trx, 'email', scope.clientId, email) : null)
        if (holder) {
          if (c.tags?.length)
            await trx
              .updateTable('crmContacts')
              .set({
                tags: sql`(select coalesce(jsonb_agg(distinct t), '[]'::jsonb) from jsonb_array_elements_text(tags || ${JSON.stringify(c.tags)}::jsonb) t)`,
                updatedAt: new Date(),
              })
              .where('clientId', '=', scope.clientId)
              .where('id', '=', holder)
              .execute()
          return { contactId: holder, created: false }
        }
        const row = await insertContact(trx, events, {
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          name: c.name,
          phones: phone ? [phone] : [],
          emails: email ? [email] : [],
          identities: [],
          tags: c.tags,
          createdBy: scope.userId,
          source: 'api',
        })
        return { contactId: row.id, created: true }
      })
    },

    /** Archives a contact (idempotent): its phones and emails become free for other contacts. Audited. */
    archive: async (scope: ClientScope, id: string, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const current = await contactRow(trx, scope.clientId, id, true)
        if (current.archivedAt) return contactDto(trx, current)
        await setPointsLive(trx, scope.clientId, id, false)
        const row = await trx
          .updateTable('crmContacts')
          .set({ archivedAt: new Date(), updatedAt: new Date() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await audited(trx, scope, 'contact.archived', id, meta)
        return contactDto(trx, row)
      }),

    /** Restores an archived contact, unless another live contact took one of its phones or emails since (409). */
    unarchive: async (scope: ClientScope, id: string, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const current = await contactRow(trx, scope.clientId, id, true)
        if (current.erasedAt) throw crmErrors.contact_erased()
        if (current.mergedInto) throw crmErrors.already_merged()
        if (!current.archivedAt) return contactDto(trx, current)
        await setPointsLive(trx, scope.clientId, id, true)
        const row = await trx
          .updateTable('crmContacts')
          .set({ archivedAt: null, updatedAt: new Date() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await audited(trx, scope, 'contact.restored', id, meta)
        return contactDto(trx, row)
      }),
  }
}
export type Contacts = ReturnType<typeof createContacts>
