import { sql } from 'kysely'
import type { IncidentCreateBody, IncidentDto, IncidentUpdateBody } from '../../../contracts/status.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { opsErrors } from './ops.errors.ts'
import type { OpsTables } from './ops.tables.ts'

/** How long a resolved incident stays on the public page. */
const RESOLVED_SHOWN_DAYS = 7

/**
 * Status page incidents: the operator posts one with its first update, then appends updates (investigating →
 * identified → monitoring → resolved); each write is audited. The public page shows the open ones and those resolved
 * in the last 7 days.
 */
export const createIncidents = (deps: { db: Handle; audit: Pick<AuditService, 'record'> }) => {
  const db = own<OpsTables>(deps.db)

  const withUpdates = async (handle: Handle, ids: string[]) => {
    if (!ids.length) return new Map<string, IncidentDto['updates']>()
    const rows = await own<OpsTables>(handle)
      .selectFrom('statusIncidentUpdates')
      .select(['id', 'incidentId', 'status', 'message', 'createdAt'])
      .where('incidentId', 'in', ids)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .execute()
    const byIncident = new Map<string, IncidentDto['updates']>()
    for (const r of rows)
      byIncident
        .set(r.incidentId, byIncident.get(r.incidentId) ?? [])
        .get(r.incidentId)!
        .push({ id: r.id, status: r.status, message: r.message, createdAt: r.createdAt.toISOString() })
    return byIncident
  }

  const read = async (handle: Handle, id: string): Promise<IncidentDto> => {
    const row = await own<OpsTables>(handle)
      .selectFrom('statusIncidents')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw opsErrors.incident_not_found()
    return toDto(row, (await withUpdates(handle, [id])).get(id) ?? [])
  }

  const post = (body: IncidentCreateBody) =>
    db.transaction().execute(async (trx) => {
      const id = newId('sinc')
      const resolved = body.status === 'resolved'
      await trx
        .insertInto('statusIncidents')
        .values({
          id,
          title: body.title,
          impact: body.impact,
          status: body.status,
          resolvedAt: resolved ? sql`now()` : null,
        })
        .execute()
      await trx
        .insertInto('statusIncidentUpdates')
        .values({ id: newId('supd'), incidentId: id, status: body.status, message: body.message })
        .execute()
      await deps.audit.record(trx, {
        action: 'incident.posted',
        targetType: 'status_incident',
        targetId: id,
        metadata: { title: body.title, impact: body.impact, status: body.status },
      })
      return read(trx, id)
    })

  const update = (id: string, body: IncidentUpdateBody) =>
    db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('statusIncidents')
        .select('status')
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst()
      if (!current) throw opsErrors.incident_not_found()
      if (current.status === 'resolved') throw opsErrors.incident_resolved()
      await trx
        .insertInto('statusIncidentUpdates')
        .values({ id: newId('supd'), incidentId: id, status: body.status, message: body.message })
        .execute()
      await trx
        .updateTable('statusIncidents')
        .set({
          status: body.status,
          updatedAt: sql`now()`,
          resolvedAt: body.status === 'resolved' ? sql`now()` : null,
        })
        .where('id', '=', id)
        .execute()
      await deps.audit.record(trx, {
        action: 'incident.updated',
        targetType: 'status_incident',
        targetId: id,
        metadata: { from: current.status, to: body.status },
      })
      return read(trx, id)
    })

  /** Open incidents and those resolved in the last 7 days, newest first. */
  const shown = async (): Promise<IncidentDto[]> => {
    const rows = await db
      .selectFrom('statusIncidents')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('resolvedAt', 'is', null),
          eb('resolvedAt', '>', sql<Date>`now() - make_interval(days => ${RESOLVED_SHOWN_DAYS})`),
        ]),
      )
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(50)
      .execute()
    const updates = await withUpdates(
      deps.db,
      rows.map((r) => r.id),
    )
    return rows.map((r) => toDto(r, updates.get(r.id) ?? []))
  }

  return { post, update, shown }
}
export type Incidents = ReturnType<typeof createIncidents>

const toDto = (
  row: {
    id: string
    title: string
    impact: IncidentDto['impact']
    status: IncidentDto['status']
    createdAt: Date
    resolvedAt: Date | null
  },
  updates: IncidentDto['updates'],
): IncidentDto => ({
  id: row.id,
  title: row.title,
  impact: row.impact,
  status: row.status,
  createdAt: row.createdAt.toISOString(),
  resolvedAt: row.resolvedAt?.toISOString() ?? null,
  updates,
})
