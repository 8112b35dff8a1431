import { sql, type Kysely } from 'kysely'
import type { AlertDto } from '../../../contracts/alerts.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { AlertsTables } from './alerts.tables.ts'

type Db = Kysely<AlertsTables>
type Row = Awaited<ReturnType<typeof byId>>

const byId = (db: Db, workspaceId: string | null, id: string) =>
  db
    .selectFrom('alerts')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => (workspaceId === null ? eb('workspaceId', 'is', null) : eb('workspaceId', '=', workspaceId)))
    .executeTakeFirst()

export const toAlertDto = (r: NonNullable<Row>): AlertDto => ({
  id: r.id,
  workspaceId: r.workspaceId,
  kind: r.kind,
  severity: r.severity,
  title: r.title,
  message: r.message,
  link: r.link,
  data: r.data,
  createdAt: r.createdAt.toISOString(),
  acknowledgedAt: r.acknowledgedAt?.toISOString() ?? null,
  acknowledgedBy: r.acknowledgedBy,
})

/** The alerts' rows: every read and write names the workspace (null: the operator's alerts). */
export const alertsRepository = {
  byId,

  /** One page, newest first, of a workspace's alerts (or the operator's with `null`). */
  page: (db: Db, workspaceId: string | null, q: PageRequest & { unacknowledged?: boolean }) => {
    let query = db
      .selectFrom('alerts')
      .selectAll()
      .where((eb) => (workspaceId === null ? eb('workspaceId', 'is', null) : eb('workspaceId', '=', workspaceId)))
    if (q.unacknowledged) query = query.where('acknowledgedAt', 'is', null)
    return newestFirstPage(query, q)
  },

  unacknowledged: async (db: Db, workspaceId: string) =>
    Number(
      (
        await db
          .selectFrom('alerts')
          .select(sql<string>`count(*)`.as('n'))
          .where('workspaceId', '=', workspaceId)
          .where('acknowledgedAt', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    ),

  /** Acknowledges once: the first admin's time and name stay. */
  acknowledge: (db: Db, workspaceId: string, id: string, userId: string) =>
    db
      .updateTable('alerts')
      .set({ acknowledgedAt: new Date(), acknowledgedBy: userId })
      .where('workspaceId', '=', workspaceId)
      .where('id', '=', id)
      .where('acknowledgedAt', 'is', null)
      .returningAll()
      .executeTakeFirst(),

  webhook: (db: Db, workspaceId: string) =>
    db.selectFrom('alertWebhooks').selectAll().where('workspaceId', '=', workspaceId).executeTakeFirst(),

  markDelivered: (db: Db, id: string) =>
    db.updateTable('alerts').set({ deliveredAt: new Date() }).where('id', '=', id).execute(),
}
