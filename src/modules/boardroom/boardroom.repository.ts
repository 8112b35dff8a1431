import type { Kysely } from 'kysely'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { BoardroomTables, TurnStatus } from './boardroom.tables.ts'

/** The boardroom's handle: its own tables, the root or an open transaction. */
export type Executor = Kysely<BoardroomTables>

/** Meetings of one client and their turns; the client id from the scope is in every where. */
export const meetings = {
  insert: (
    db: Executor,
    scope: ClientScope,
    m: { id: string; topic: string; agentIds: string[]; rounds: number; requestId: string },
  ) =>
    db
      .insertInto('meetings')
      .values({
        ...m,
        agentIds: JSON.stringify(m.agentIds),
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        createdBy: scope.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  byRequest: (db: Executor, scope: ClientScope, requestId: string) =>
    db
      .selectFrom('meetings')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('requestId', '=', requestId)
      .executeTakeFirst(),
  get: (db: Executor, scope: ClientScope, id: string) =>
    db
      .selectFrom('meetings')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst(),
  list: (db: Executor, scope: ClientScope, limit: number) =>
    db
      .selectFrom('meetings')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),
  setSummary: (db: Executor, scope: ClientScope, id: string, summary: string) =>
    db.updateTable('meetings').set({ summary }).where('clientId', '=', scope.clientId).where('id', '=', id).execute(),
  clientOf: (db: Executor, id: string) =>
    db.selectFrom('meetings').select('clientId').where('id', '=', id).executeTakeFirst(),
}

export const turns = {
  insert: (
    db: Executor,
    scope: ClientScope,
    t: { id: string; meetingId: string; round: number; position: number; speaker: string; modelId: string },
  ) =>
    db
      .insertInto('meetingTurns')
      .values({ ...t, clientId: scope.clientId, status: 'streaming' })
      .execute(),
  finish: (
    db: Executor,
    scope: ClientScope,
    id: string,
    t: { content: string; status: TurnStatus; usage: Record<string, unknown> | null },
  ) =>
    db
      .updateTable('meetingTurns')
      .set({ content: t.content, status: t.status, usage: t.usage && JSON.stringify(t.usage) })
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .execute(),
  list: (db: Executor, scope: ClientScope, meetingId: string) =>
    db
      .selectFrom('meetingTurns')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('meetingId', '=', meetingId)
      .orderBy('round')
      .orderBy('position')
      .execute(),
  /** Closes the turns a meeting nobody runs any more left streaming, with the text each had streamed. */
  close: async (db: Executor, meetingId: string, status: TurnStatus, partial: (turnId: string) => string) => {
    const open = await db
      .selectFrom('meetingTurns')
      .select(['id', 'content'])
      .where('meetingId', '=', meetingId)
      .where('status', '=', 'streaming')
      .execute()
    for (const t of open)
      await db
        .updateTable('meetingTurns')
        .set({ status, content: t.content || partial(t.id) })
        .where('id', '=', t.id)
        .execute()
  },
}
