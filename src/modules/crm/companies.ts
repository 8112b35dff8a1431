import type { Kysely } from 'kysely'
import type { CompanyCreate, CompanyDto } from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { CrmTables } from './crm.tables.ts'

const toDto = (r: { id: string; name: string; domain: string | null; createdAt: Date }): CompanyDto => ({
  id: r.id,
  name: r.name,
  domain: r.domain,
  createdAt: r.createdAt.toISOString(),
})

/** Companies a client's contacts work for: a name and a domain. */
export const createCompanies = ({ db }: { db: Kysely<CrmTables> }) => ({
  /** Whether the company is the client's (a contact may only point at one of those). */
  exists: async (h: Kysely<CrmTables>, clientId: string, id: string) =>
    Boolean(
      await h
        .selectFrom('crmCompanies')
        .select('id')
        .where('clientId', '=', clientId)
        .where('id', '=', id)
        .executeTakeFirst(),
    ),
  list: async (scope: ClientScope, page: PageRequest) => {
    const r = await newestFirstPage(
      db
        .selectFrom('crmCompanies')
        .select(['id', 'name', 'domain', 'createdAt'])
        .where('clientId', '=', scope.clientId),
      page,
    )
    return { items: r.items.map(toDto), nextCursor: r.nextCursor }
  },
  create: async (scope: ClientScope, body: CompanyCreate) =>
    toDto(
      await db
        .insertInto('crmCompanies')
        .values({
          id: newId('co'),
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          name: body.name,
          domain: body.domain ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    ),
})
export type Companies = ReturnType<typeof createCompanies>
