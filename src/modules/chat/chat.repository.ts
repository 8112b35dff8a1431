import { sql } from 'kysely'
import type { Executor } from '../../schema.ts'
import type { MessageStatus, RunStatus } from '../../platform/db/columns.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'

/** Conversations, messages and runs of one client: the client id from the scope is in every where. */
export const conversations = {
  insert: (db: Executor, scope: ClientScope, c: { id: string; agentId: string; title?: string }) =>
    db
      .insertInto('conversations')
      .values({
        ...c,
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        createdBy: scope.userId,
        lastMessageAt: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  get: (db: Executor, scope: ClientScope, id: string) =>
    db
      .selectFrom('conversations')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst(),
  page: (
    db: Executor,
    scope: ClientScope,
    p: {
      limit: number
      after?: { at: Date; id: string }
      q?: string
      archived: 'include' | 'exclude' | 'only'
      agentId?: string
    },
  ) => {
    let q = db.selectFrom('conversations').selectAll().where('clientId', '=', scope.clientId)
    if (p.archived === 'exclude') q = q.where('archivedAt', 'is', null)
    if (p.archived === 'only') q = q.where('archivedAt', 'is not', null)
    if (p.agentId) q = q.where('agentId', '=', p.agentId)
    if (p.q) q = q.where('title', 'ilike', `%${p.q.replace(/[\\%_]/g, (m) => '\\' + m)}%`)
    if (p.after) q = q.where((eb) => eb(eb.refTuple('lastMessageAt', 'id'), '<', eb.tuple(p.after!.at, p.after!.id)))
    return q
      .orderBy('lastMessageAt', 'desc')
      .orderBy('id', 'desc')
      .limit(p.limit + 1)
      .execute()
  },
  update: (
    db: Executor,
    scope: ClientScope,
    id: string,
    patch: { title?: string; pinned?: boolean; archivedAt?: Date | null; lastMessageAt?: Date; agentId?: string },
  ) =>
    db
      .updateTable('conversations')
      .set(patch)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  /** Resolves a conversation id to its client, for routes addressed by conversation id. */
  clientOf: (db: Executor, id: string) =>
    db.selectFrom('conversations').select('clientId').where('id', '=', id).executeTakeFirst(),
}

export const messages = {
  insert: (
    db: Executor,
    scope: ClientScope,
    m: {
      id: string
      conversationId: string
      role: 'user' | 'assistant'
      content: string
      status: MessageStatus
      agentId?: string | null
      modelId?: string | null
      authorId?: string | null
      requestId?: string | null
    },
  ) =>
    db
      .insertInto('messages')
      .values({ ...m, clientId: scope.clientId, completedAt: m.status === 'complete' ? new Date() : null })
      .returningAll()
      .executeTakeFirstOrThrow(),
  list: (db: Executor, scope: ClientScope, conversationId: string, limit = 500) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('conversationId', '=', conversationId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute()
      .then((rows) => rows.reverse()),
  /** Ends an answer left "streaming" by a runner that is gone, keeping its text. */
  close: (db: Executor, scope: ClientScope, id: string, status: MessageStatus) =>
    db
      .updateTable('messages')
      .set({ status, completedAt: new Date() })
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .where('status', '=', 'streaming')
      .execute(),
  finish: (
    db: Executor,
    scope: ClientScope,
    id: string,
    m: {
      content: string
      status: MessageStatus
      usage: Record<string, unknown> | null
      error: Record<string, unknown> | null
      parts: unknown[]
    },
  ) =>
    db
      .updateTable('messages')
      .set({
        content: m.content,
        status: m.status,
        usage: m.usage && JSON.stringify(m.usage),
        error: m.error && JSON.stringify(m.error),
        parts: JSON.stringify(m.parts),
        completedAt: new Date(),
      })
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .execute(),
}

export const runs = {
  insert: (db: Executor, scope: ClientScope, r: { id: string; conversationId: string; messageId: string }) =>
    db
      .insertInto('chatRuns')
      .values({ ...r, clientId: scope.clientId, status: 'running' })
      .execute(),
  get: (db: Executor, scope: ClientScope, id: string) =>
    db
      .selectFrom('chatRuns')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst(),
  latest: (db: Executor, scope: ClientScope, conversationId: string) =>
    db
      .selectFrom('chatRuns')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('conversationId', '=', conversationId)
      .orderBy('createdAt', 'desc')
      .limit(1)
      .executeTakeFirst(),
  running: (db: Executor, scope: ClientScope, conversationId: string) =>
    db
      .selectFrom('chatRuns')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('conversationId', '=', conversationId)
      .where('status', '=', 'running')
      .executeTakeFirst(),
  runningIn: async (db: Executor, scope: ClientScope, conversationIds: string[]) =>
    conversationIds.length
      ? new Set(
          (
            await db
              .selectFrom('chatRuns')
              .select('conversationId')
              .where('clientId', '=', scope.clientId)
              .where('status', '=', 'running')
              .where('conversationId', 'in', conversationIds)
              .execute()
          ).map((r) => r.conversationId),
        )
      : new Set<string>(),
  /** Moves a running run to its final state once; false when it had already ended (e.g. cancelled meanwhile). */
  finish: async (db: Executor, scope: ClientScope, id: string, status: RunStatus) =>
    Number(
      (
        await db
          .updateTable('chatRuns')
          .set({ status, finishedAt: new Date() })
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .where('status', '=', 'running')
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1,
  status: async (db: Executor, id: string) =>
    (await db.selectFrom('chatRuns').select('status').where('id', '=', id).executeTakeFirst())?.status,
  /** The writing process's heartbeat; answers the status like `status`. */
  beat: async (db: Executor, id: string) =>
    (
      await db
        .updateTable('chatRuns')
        .set({ heartbeatAt: new Date() })
        .where('id', '=', id)
        .returning('status')
        .executeTakeFirst()
    )?.status,
}

export const events = {
  append: (db: Executor, runId: string, rows: { seq: number; type: string; data: Record<string, unknown> }[]) =>
    rows.length
      ? db
          .insertInto('chatEvents')
          .values(rows.map((r) => ({ runId, seq: r.seq, type: r.type, data: JSON.stringify(r.data) })))
          .execute()
      : Promise.resolve(),
  /** Closes the log of a run whose runner is gone, so streams following it end. */
  appendDone: (db: Executor, runId: string, data: Record<string, unknown>) =>
    sql`insert into chat_events (run_id, seq, type, data)
        select ${runId}, coalesce(max(seq), 0) + 1, 'done', ${JSON.stringify(data)}::jsonb from chat_events where run_id = ${runId}`.execute(
      db,
    ),
  isDone: async (db: Executor, runId: string) =>
    Boolean(
      await db
        .selectFrom('chatEvents')
        .select('seq')
        .where('runId', '=', runId)
        .where('type', '=', 'done')
        .executeTakeFirst(),
    ),
  after: (db: Executor, runId: string, afterSeq: number) =>
    db
      .selectFrom('chatEvents')
      .select(['seq', 'type', 'data'])
      .where('runId', '=', runId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(1000)
      .execute(),
}
