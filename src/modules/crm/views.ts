import type { Kysely } from 'kysely'
import type { ContactViewCreate, ContactViewDto, ContactViewPatch } from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables, ViewRow } from './crm.tables.ts'

/** Saved views a member may have per client (a guard against a runaway script, not a plan limit). */
const MAX_VIEWS = 50
/** Views a list answers: the caller's own and the ones others shared, by name. */
const MAX_LISTED = 200

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505'

const toDto = (v: ViewRow, userId: string): ContactViewDto => ({
  id: v.id,
  name: v.name,
  shared: v.shared,
  filters: v.filters,
  ownerId: v.userId,
  mine: v.userId === userId,
  createdAt: v.createdAt.toISOString(),
  updatedAt: v.updatedAt.toISOString(),
})

/**
 * Saved views of the contacts list (issue 14 §11): a member's named filters, private or shared with the client's
 * members. A view another member keeps private does not exist for the caller (404); a shared one is readable, and only
 * its owner changes or deletes it (403). Views are UI preferences: deleting one removes the row (and is audited).
 */
export const createViews = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => {
  /** A view the caller may see: their own, or shared, of the scope's client. */
  const visible = async (scope: ClientScope, id: string) => {
    const row = await db
      .selectFrom('crmViews')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('userId', '=', scope.userId), eb('shared', '=', true)]))
      .executeTakeFirst()
    if (!row) throw crmErrors.view_not_found()
    return row
  }
  const own = async (scope: ClientScope, id: string) => {
    const row = await visible(scope, id)
    if (row.userId !== scope.userId) throw crmErrors.view_not_yours()
    return row
  }
  const record = (
    trx: Kysely<CrmTables>,
    scope: ClientScope,
    action: 'crm.view_saved' | 'crm.view_deleted',
    v: ViewRow,
  ) =>
    audit.record(trx, {
      action,
      workspaceId: scope.workspaceId,
      actorUserId: scope.userId,
      targetType: 'crm_view',
      targetId: v.id,
      metadata: { clientId: scope.clientId, name: v.name, shared: v.shared },
    })

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmViews').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    list: async (scope: ClientScope) => {
      const rows = await db
        .selectFrom('crmViews')
        .selectAll()
        .where('clientId', '=', scope.clientId)
        .where((eb) => eb.or([eb('userId', '=', scope.userId), eb('shared', '=', true)]))
        .orderBy('name')
        .orderBy('id')
        .limit(MAX_LISTED)
        .execute()
      return { items: rows.map((r) => toDto(r, scope.userId)) }
    },

    get: async (scope: ClientScope, id: string) => toDto(await visible(scope, id), scope.userId),

    create: async (scope: ClientScope, body: ContactViewCreate) => {
      try {
        return await db.transaction().execute(async (trx) => {
          const { n } = await trx
            .selectFrom('crmViews')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('clientId', '=', scope.clientId)
            .where('userId', '=', scope.userId)
            .executeTakeFirstOrThrow()
          if (Number(n) >= MAX_VIEWS) throw crmErrors.too_many_views()
          const row = await trx
            .insertInto('crmViews')
            .values({
              id: newId('cvw'),
              workspaceId: scope.workspaceId,
              clientId: scope.clientId,
              userId: scope.userId,
              name: body.name,
              shared: body.shared,
              filters: JSON.stringify(body.filters),
            })
            .returningAll()
            .executeTakeFirstOrThrow()
          await record(trx, scope, 'crm.view_saved', row)
          return toDto(row, scope.userId)
        })
      } catch (err) {
        throw isUniqueViolation(err) ? crmErrors.view_name_taken({ name: body.name }) : err
      }
    },

    update: async (scope: ClientScope, id: string, body: ContactViewPatch) => {
      await own(scope, id)
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .updateTable('crmViews')
            .set({
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(body.shared !== undefined ? { shared: body.shared } : {}),
              ...(body.filters !== undefined ? { filters: JSON.stringify(body.filters) } : {}),
              updatedAt: new Date(),
            })
            .where('clientId', '=', scope.clientId)
            .where('userId', '=', scope.userId)
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirst()
          if (!row) throw crmErrors.view_not_found()
          await record(trx, scope, 'crm.view_saved', row)
          return toDto(row, scope.userId)
        })
      } catch (err) {
        throw isUniqueViolation(err) ? crmErrors.view_name_taken({ name: body.name ?? '' }) : err
      }
    },

    remove: async (scope: ClientScope, id: string) => {
      await own(scope, id)
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .deleteFrom('crmViews')
          .where('clientId', '=', scope.clientId)
          .where('userId', '=', scope.userId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst()
        if (!row) throw crmErrors.view_not_found()
        await record(trx, scope, 'crm.view_deleted', row)
      })
    },
  }
}
export type Views = ReturnType<typeof createViews>
