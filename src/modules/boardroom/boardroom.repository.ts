import type { Executor } from '../../schema.ts'
import type { MessageStatus, RunStatus } from '../../platform/db/columns.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'

/** Meetings of one client, their turns and their event log; the client id from the scope is in every where. */
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
        status: 'running',
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
  finish: async (db: Executor, scope: ClientScope, id: string, status: RunStatus, summary: string) =>
    Number(
      (
        await db
          .updateTable('meetings')
          .set({ status, summary, finishedAt: new Date() })
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .where('status', '=', 'running')
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1,
  status: async (db: Executor, id: string) =>
    (await db.selectFrom('meetings').select('status').where('id', '=', id).executeTakeFirst())?.status,
  /** The running process's heartbeat; answers the status like `status`. */
  beat: async (db: Executor, id: string) =>
    (
      await db
        .updateTable('meetings')
        .set({ heartbeatAt: new Date() })
        .where('id', '=', id)
        .returning('status')
        .executeTakeFirst()
    )?.status,
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
    t: { content: string; status: MessageStatus; usage: Record<string, unknown> | null },
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
}

export const meetingEvents = {
  append: (db: Executor, meetingId: string, rows: { seq: number; type: string; data: Record<string, unknown> }[]) =>
    rows.length
      ? db
          .insertInto('meetingEvents')
          .values(rows.map((r) => ({ meetingId, seq: r.seq, type: r.type, data: JSON.stringify(r.data) })))
          .execute()
      : Promise.resolve(),
  isDone: async (db: Executor, meetingId: string) =>
    Boolean(
      await db
        .selectFrom('meetingEvents')
        .select('seq')
        .where('meetingId', '=', meetingId)
        .where('type', '=', 'done')
        .executeTakeFirst(),
    ),
  after: (db: Executor, meetingId: string, afterSeq: number) =>
    db
      .selectFrom('meetingEvents')
      .select(['seq', 'type', 'data'])
      .where('meetingId', '=', meetingId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(1000)
      .execute(),
}
