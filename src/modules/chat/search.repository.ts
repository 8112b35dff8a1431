import type { Executor } from './chat.repository.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'

const like = (q: string) => `%${q.replace(/[\\%_]/g, (m) => '\\' + m)}%`

/** In-app search over one client's conversations and messages. */
export const searchClient = async (db: Executor, scope: ClientScope, q: string, limit: number) => {
  const [conversations, messages] = await Promise.all([
    db
      .selectFrom('conversations')
      .select(['id', 'title', 'agentId', 'lastMessageAt'])
      .where('clientId', '=', scope.clientId)
      .where('title', 'ilike', like(q))
      .orderBy('lastMessageAt', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversationId')
      .select(['messages.id', 'messages.conversationId', 'messages.content', 'messages.role', 'conversations.title'])
      .where('messages.clientId', '=', scope.clientId)
      .where('conversations.clientId', '=', scope.clientId)
      .where('messages.content', 'ilike', like(q))
      .orderBy('messages.seq', 'desc')
      .limit(limit)
      .execute(),
  ])
  return { conversations, messages }
}

export const clientFacts = async (db: Executor, scope: ClientScope) => {
  const last = await db
    .selectFrom('conversations')
    .select(['title'])
    .where('clientId', '=', scope.clientId)
    .where('archivedAt', 'is', null)
    .orderBy('lastMessageAt', 'desc')
    .limit(1)
    .executeTakeFirst()
  const count = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('clientId', '=', scope.clientId)
    .executeTakeFirstOrThrow()
  return {
    lastTitle: last && last.title !== 'New conversation' ? last.title : null,
    conversationCount: Number(count.n),
  }
}
