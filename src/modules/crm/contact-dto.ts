import type { Kysely } from 'kysely'
import type { ContactDto } from '../../../contracts/crm.ts'
import type { ContactRow, CrmTables } from './crm.tables.ts'
import { pointsOf } from './points.ts'
import { profiles } from './profiles.ts'

/** Contacts as the API shows them: their phones, emails, identities and profile figures loaded in one query each. */
export const contactDtos = async (h: Kysely<CrmTables>, rows: ContactRow[]): Promise<ContactDto[]> => {
  const ids = rows.map((r) => r.id)
  // One after another: inside a transaction the handle is one connection.
  const phones = await pointsOf(h, 'phone', ids)
  const emails = await pointsOf(h, 'email', ids)
  const identities = await pointsOf(h, 'identity', ids)
  const figures = await profiles.of(h, ids)
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    phones: phones.get(r.id) ?? [],
    emails: emails.get(r.id) ?? [],
    identities: identities.get(r.id) ?? [],
    tags: r.tags,
    fields: r.fields,
    ownerId: r.ownerId,
    companyId: r.companyId,
    archived: r.archivedAt !== null,
    mergedInto: r.mergedInto,
    erased: r.erasedAt !== null,
    profile: figures.get(r.id)!,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }))
}

export const contactDto = async (h: Kysely<CrmTables>, row: ContactRow) => (await contactDtos(h, [row]))[0]!
