import { sql, type Kysely } from 'kysely'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { ChatTables, MessageStatus } from './chat.tables.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'

/** Chat's handle: its own tables, the root or an open transaction. */
export type Executor = Kysely<ChatTables>

/** Conversations and messages of one client: the client id from the scope is in every where. */
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
    p: PageRequest & { q?: string; archived: 'include' | 'exclude' | 'only'; agentId?: string },
  ) => {
    let q = db.selectFrom('conversations').selectAll().where('clientId', '=', scope.clientId)
    if (p.archived === 'exclude') q = q.where('archivedAt', 'is', null)
    if (p.archived === 'only') q = q.where('archivedAt', 'is not', null)
    if (p.agentId) q = q.where('agentId', '=', p.agentId)
    if (p.q) q = q.where('title', 'ilike', `%${p.q.replace(/[\\%_]/g, (m) => '\\' + m)}%`)
    return newestFirstPage(q, p, 'lastMessageAt')
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
      runId?: string | null
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
  /** The answer a run writes (the run layer knows its run, not its message). */
  ofRun: (db: Executor, runId: string) =>
    db.selectFrom('messages').selectAll().where('runId', '=', runId).executeTakeFirst(),
  /** The answer a request started, for a replay of the request (null when it started none). */
  answerOf: (db: Executor, clientId: string, requestId: string) =>
    db
      .selectFrom('messages')
      .select(['id', 'conversationId', 'content', 'runId'])
      .where('clientId', '=', clientId)
      .where('requestId', '=', requestId)
      .where('role', '=', 'assistant')
      .executeTakeFirst(),
  /**
   * Ends an answer left "streaming" by a runner that is gone, keeping its text (the saved one, else what it had
   * streamed) and, for one whose process died, why it stopped.
   */
  close: (db: Executor, id: string, m: { status: MessageStatus; partial: string; error?: Record<string, unknown> }) =>
    db
      .updateTable('messages')
      .set({
        status: m.status,
        completedAt: new Date(),
        content: sql<string>`coalesce(nullif(content, ''), ${m.partial})`,
        ...(m.error ? { error: JSON.stringify(m.error) } : {}),
      })
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
