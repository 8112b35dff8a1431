import type { Kysely } from 'kysely'
import type { FieldCreate, FieldDefinitionDto, FieldPatch } from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables, FieldDefinitionRow, FieldEntity, FieldValue, FieldValues } from './crm.tables.ts'

/** Whether a YYYY-MM-DD string is a day of the calendar (2026-02-30 is not). */
export const isCalendarDate = (s: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

const checkValue = (def: FieldDefinitionRow, value: FieldValue): FieldValue => {
  const bad = (expected: string) => crmErrors.invalid_field_value({ key: def.key, expected })
  switch (def.type) {
    case 'text':
      if (typeof value !== 'string') throw bad('text')
      return value
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a number')
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('true or false')
      return value
    case 'date':
      if (typeof value !== 'string' || !isCalendarDate(value)) throw bad('a date as YYYY-MM-DD')
      return value
    case 'select':
      if (typeof value !== 'string' || !(def.options ?? []).includes(value))
        throw bad(`one of: ${(def.options ?? []).join(', ')}`)
      return value
  }
}

/**
 * `current` with `changes` applied: each value checked against the client's live definition of its key (an unknown or
 * archived key is refused); `null` removes a key (also one whose field was archived since).
 */
export const applyFieldValues = (
  defs: FieldDefinitionRow[],
  current: FieldValues,
  changes: Record<string, FieldValue | null> | undefined,
): FieldValues => {
  if (!changes) return current
  const next: FieldValues = { ...current }
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) {
      delete next[key]
      continue
    }
    const def = defs.find((d) => d.key === key && !d.archivedAt)
    if (!def) throw crmErrors.unknown_field({ key })
    next[key] = checkValue(def, value)
  }
  return next
}

const toDto = (r: FieldDefinitionRow): FieldDefinitionDto => ({
  id: r.id,
  entity: r.entity,
  key: r.key,
  label: r.label,
  type: r.type,
  options: r.options,
  archived: r.archivedAt !== null,
  createdAt: r.createdAt.toISOString(),
})

/** Custom field definitions per client, on contacts and on bookings. */
export const createFieldDefinitions = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => {
  const of = (h: Kysely<CrmTables>, clientId: string, entity: FieldEntity) =>
    h
      .selectFrom('crmFieldDefinitions')
      .selectAll()
      .where('clientId', '=', clientId)
      .where('entity', '=', entity)
      .execute()

  return {
    /** The client's definitions for one kind of record, archived ones included (values of those may still be cleared). */
    of,
    clientOf: async (id: string) =>
      (await db.selectFrom('crmFieldDefinitions').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    list: async (scope: ClientScope, entity?: FieldEntity) => {
      let q = db.selectFrom('crmFieldDefinitions').selectAll().where('clientId', '=', scope.clientId)
      if (entity) q = q.where('entity', '=', entity)
      return { items: (await q.orderBy('createdAt').orderBy('id').execute()).map(toDto) }
    },

    create: async (scope: ClientScope, body: FieldCreate) => {
      if ((body.type === 'select') !== Boolean(body.options)) throw crmErrors.select_needs_options()
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('crmFieldDefinitions')
          .values({
            id: newId('fld'),
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            entity: body.entity,
            key: body.key,
            label: body.label,
            type: body.type,
            options: body.options ? JSON.stringify(body.options) : null,
          })
          .onConflict((oc) => oc.doNothing())
          .returningAll()
          .executeTakeFirst()
        if (!row) throw crmErrors.field_exists({ key: body.key })
        await audit.record(trx, {
          action: 'crm.field_defined',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'crm_field',
          targetId: row.id,
          metadata: { clientId: scope.clientId, entity: body.entity, key: body.key, type: body.type },
        })
        return toDto(row)
      })
    },

    update: async (scope: ClientScope, id: string, body: FieldPatch) => {
      const current = await db
        .selectFrom('crmFieldDefinitions')
        .selectAll()
        .where('clientId', '=', scope.clientId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!current) throw crmErrors.field_not_found()
      if (body.options && current.type !== 'select') throw crmErrors.select_needs_options()
      const row = await db
        .updateTable('crmFieldDefinitions')
        .set({
          ...(body.label !== undefined ? { label: body.label } : {}),
          ...(body.options ? { options: JSON.stringify(body.options) } : {}),
          ...(body.archived !== undefined
            ? { archivedAt: body.archived ? (current.archivedAt ?? new Date()) : null }
            : {}),
          updatedAt: new Date(),
        })
        .where('clientId', '=', scope.clientId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
      return toDto(row)
    },
  }
}
export type FieldDefinitions = ReturnType<typeof createFieldDefinitions>
