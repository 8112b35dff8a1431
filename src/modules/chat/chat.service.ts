import type { Db } from '../../schema.ts'
import { newId } from '../../platform/db/ids.ts'
import type { Conversation, Message } from './chat.tables.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { ChatEvent, ConversationDto, MessageDto, MessagePart, Usage } from '../../../contracts/chat.ts'
import { assembleSystemPrompt, type AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { Metering } from '../credits/credits.module.ts'
import { creditsErrors } from '../credits/credits.module.ts'
import { searchConversationsTool, type ToolRegistry } from '../tools/tools.module.ts'
import { handoffTool } from './handoff-tool.ts'
import { searchClient } from './search.repository.ts'
import { chatErrors } from './chat.errors.ts'
import { conversations, events, messages, runs } from './chat.repository.ts'
import { executeRun } from './chat-runner.ts'
import { countTokens, fitToContext } from './history.ts'
import { createRunHub, createRunLog } from '../../platform/realtime/event-log.ts'

type ClientRow = { name: string; website: string | null; notes: string | null }
export type ChatScope = ClientScope & { client: ClientRow }

type Deps = {
  db: Db
  agents: AgentService
  models: ModelsModule
  tools: ToolRegistry
  metering: Metering
  workspaceName: (scope: ClientScope) => Promise<string>
  now?: () => Date
}

const toConversationDto = (c: Conversation, running: boolean): ConversationDto => ({
  id: c.id,
  clientId: c.clientId,
  agentId: c.agentId,
  title: c.title,
  pinned: c.pinned,
  running,
  archivedAt: c.archivedAt?.toISOString() ?? null,
  lastMessageAt: c.lastMessageAt.toISOString(),
  createdAt: c.createdAt.toISOString(),
})
const toMessageDto = (m: Message, offlineIds: (id: string | null) => boolean): MessageDto => ({
  id: m.id,
  conversationId: m.conversationId,
  role: m.role,
  content: m.content,
  status: m.status,
  agentId: m.agentId,
  modelId: m.modelId,
  offline: offlineIds(m.modelId),
  usage: (m.usage as Usage | null) ?? null,
  error: (m.error as { code: string; message: string } | null) ?? null,
  parts: (m.parts as MessagePart[]) ?? [],
  createdAt: m.createdAt.toISOString(),
  completedAt: m.completedAt?.toISOString() ?? null,
})

const cursorOf = (c: Conversation) =>
  Buffer.from(JSON.stringify([c.lastMessageAt.toISOString(), c.id])).toString('base64url')
const parseCursor = (cursor: string) => {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string]
    if (typeof id !== 'string' || Number.isNaN(new Date(at).getTime())) throw new Error('bad cursor')
    return { at: new Date(at), id }
  } catch {
    throw requestErrors.invalid_cursor()
  }
}

/** Conversations per client and agent, and the answers streamed into them. */
export const createChatService = ({
  db,
  agents,
  models,
  tools,
  metering,
  workspaceName,
  now = () => new Date(),
}: Deps) => {
  tools.register(
    handoffTool(db, agents),
    searchConversationsTool((scope, q) => searchClient(db, scope, q, 5)),
  )
  const hub = createRunHub()
  const inflight = new Map<string, { abort: AbortController; done: Promise<void> }>()
  const isOffline = (id: string | null) => Boolean(id && models.find(id)?.offline)

  const load = async (scope: ClientScope, id: string) => {
    const c = id.length <= 64 ? await conversations.get(db, scope, id) : undefined
    if (!c) throw chatErrors.conversation_not_found()
    return c
  }

  /**
   * A run no process here is writing: another process will see the cancel within a second and close it;
   * if nobody has after a few seconds, its process is gone, and the answer is closed here as cancelled.
   */
  const closeOrphan = async (scope: ClientScope, runId: string, messageId: string) => {
    for (let i = 0; i < 30; i++) {
      if (await events.isDone(db, runId)) return
      await new Promise((r) => setTimeout(r, 100))
    }
    await db.transaction().execute(async (trx) => {
      await messages.close(trx, scope, messageId, 'cancelled')
      await events.appendDone(trx, runId, { messageId, status: 'cancelled' })
    })
  }

  /** The agent, model, system prompt and history a message would be sent with, and the prompt as counted for its estimate. */
  const prepare = async (
    scope: ChatScope,
    agentId: string,
    body: { content: string; modelId?: string },
    conversationId?: string,
  ) => {
    const agent = await agents.resolve(scope, agentId)
    const set = await models.forWorkspace(scope.workspaceId)
    const modelId = body.modelId ?? agent.dto.modelId ?? set.defaultModelId(agent.tier)
    const model = set.languageModel(modelId)
    const entry = set.find(modelId)!
    const system = assembleSystemPrompt(agent.prompt, {
      workspaceName: await workspaceName(scope),
      client: scope.client,
      today: now(),
      tools: entry.offline ? [] : tools.describe(agent.dto.tools),
    })
    const maxOutputTokens = Math.min(entry.maxOutputTokens, 4096)
    const limit = entry.contextWindow - maxOutputTokens - countTokens(system) - 64
    if (countTokens(body.content) > limit) throw chatErrors.message_too_long({ limit })
    const earlier = conversationId
      ? (await messages.list(db, scope, conversationId)).filter((m) => m.content && m.status !== 'failed')
      : []
    const history = fitToContext(
      [...earlier.map((m) => ({ role: m.role, content: m.content })), { role: 'user', content: body.content }],
      { contextWindow: entry.contextWindow, maxOutputTokens, systemPrompt: system },
    )
    const promptText =
      system +
      '\n' +
      history.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n')
    return { agent, set, modelId, model, entry, system, earlier, history, promptText, maxOutputTokens }
  }

  // What an answer whose process died had written: its saved text, else the deltas it streamed.
  metering.recoverWith('chat', async (hold) => {
    const m = await db
      .selectFrom('messages')
      .innerJoin('chatRuns', 'chatRuns.messageId', 'messages.id')
      .select(['messages.content', 'chatRuns.id as runId'])
      .where('messages.requestId', '=', hold.requestId)
      .where('messages.role', '=', 'assistant')
      .where('messages.clientId', '=', hold.clientId ?? '')
      .executeTakeFirst()
    if (!m) return ''
    if (m.content) return m.content
    const deltas = await db
      .selectFrom('chatEvents')
      .select('data')
      .where('runId', '=', m.runId)
      .where('type', '=', 'delta')
      .orderBy('seq')
      .execute()
    return deltas.map((d) => String(d.data.text ?? '')).join('')
  })

  return {
    hub,
    async create(scope: ChatScope, body: { agentId: string; title?: string }) {
      const agent = await agents.resolve(scope, body.agentId)
      return toConversationDto(
        await conversations.insert(db, scope, { id: newId('conv'), agentId: agent.dto.id, title: body.title }),
        false,
      )
    },

    async list(
      scope: ClientScope,
      q: { cursor?: string; limit: number; q?: string; archived: 'include' | 'exclude' | 'only'; agentId?: string },
    ) {
      const rows = await conversations.page(db, scope, { ...q, after: q.cursor ? parseCursor(q.cursor) : undefined })
      const items = rows.slice(0, q.limit)
      const running = await runs.runningIn(
        db,
        scope,
        items.map((c) => c.id),
      )
      const last = items.at(-1)
      return {
        items: items.map((c) => toConversationDto(c, running.has(c.id))),
        nextCursor: rows.length > q.limit && last ? cursorOf(last) : null,
      }
    },

    async get(scope: ClientScope, id: string) {
      const c = await load(scope, id)
      return toConversationDto(c, Boolean(await runs.running(db, scope, id)))
    },

    async update(scope: ClientScope, id: string, patch: { title?: string; pinned?: boolean; archived?: boolean }) {
      await load(scope, id)
      const { archived, ...rest } = patch
      const c = await conversations.update(db, scope, id, {
        ...rest,
        ...(archived === undefined ? {} : { archivedAt: archived ? now() : null }),
      })
      return toConversationDto(c, Boolean(await runs.running(db, scope, id)))
    },

    async messages(scope: ClientScope, id: string) {
      await load(scope, id)
      return (await messages.list(db, scope, id)).map((m) => toMessageDto(m, isOffline))
    },

    /** What sending `content` in a conversation (or to an agent) would hold, before it is sent. */
    async estimate(
      scope: ChatScope,
      body: { content: string; conversationId?: string; agentId?: string; modelId?: string },
    ) {
      const conversation = body.conversationId ? await load(scope, body.conversationId) : undefined
      const agentId = conversation?.agentId ?? body.agentId
      if (!agentId) throw creditsErrors.estimate_needs_agent()
      const p = await prepare(scope, agentId, body, conversation?.id)
      const est = await metering.estimate(p.entry, p.promptText, p.maxOutputTokens, p.set.billedBy(p.entry))
      return { ...est, offline: p.entry.offline }
    },

    /** Saves the question, opens the answer and starts generating it in the background; returns the run to stream. */
    async send(
      scope: ChatScope,
      id: string,
      body: { content: string; modelId?: string },
      call: { requestId: string; tokenId: string | null },
    ) {
      const { requestId } = call
      const conversation = await load(scope, id)
      if (conversation.archivedAt) throw chatErrors.conversation_archived()
      const { agent, set, modelId, model, entry, system, earlier, history, promptText, maxOutputTokens } =
        await prepare(scope, conversation.agentId, body, id)
      const metered = await metering.begin({
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        userId: scope.userId,
        tokenId: call.tokenId,
        surface: 'chat',
        requestId,
        entry,
        billedBy: set.billedBy(entry),
        promptText,
        maxOutputTokens,
        streaming: true,
        params: { conversationId: id, content: body.content, modelId },
      })
      if (metered.replay) {
        // The same request again: the answer it started, not a second one.
        const prior = await db
          .selectFrom('messages')
          .innerJoin('chatRuns', 'chatRuns.messageId', 'messages.id')
          .select('chatRuns.id')
          .where('messages.clientId', '=', scope.clientId)
          .where('messages.conversationId', '=', id)
          .where('messages.requestId', '=', requestId)
          .where('messages.role', '=', 'assistant')
          .executeTakeFirst()
        if (!prior) throw requestErrors.not_replayable({ why: 'no_answer' })
        return { runId: prior.id }
      }

      const runId = newId('run')
      const ids = { user: newId('msg'), answer: newId('msg') }
      await db
        .transaction()
        .execute(async (trx) => {
          if (await runs.running(trx, scope, id)) throw chatErrors.run_in_progress()
          await messages.insert(trx, scope, {
            id: ids.user,
            conversationId: id,
            role: 'user',
            content: body.content,
            status: 'complete',
            authorId: scope.userId,
            requestId,
          })
          await messages.insert(trx, scope, {
            id: ids.answer,
            conversationId: id,
            role: 'assistant',
            content: '',
            status: 'streaming',
            agentId: agent.dto.id,
            modelId,
            requestId,
          })
          await runs.insert(trx, scope, { id: runId, conversationId: id, messageId: ids.answer })
          await conversations.update(trx, scope, id, {
            lastMessageAt: now(),
            ...(earlier.length === 0 && conversation.title === 'New conversation'
              ? { title: body.content.slice(0, 60) }
              : {}),
          })
        })
        .catch(async (err: { code?: string }) => {
          await metered.settle(null) // nothing ran: the hold is released
          throw err.code === '23505' ? chatErrors.run_in_progress() : err
        })

      const log = createRunLog<ChatEvent>((rows) => events.append(db, runId, rows), hub, runId)
      log.push({
        type: 'run',
        runId,
        conversationId: id,
        userMessageId: ids.user,
        messageId: ids.answer,
        agentId: agent.dto.id,
        modelId,
        offline: entry.offline,
        estimate: Number(metered.hold.amount),
        billedBy: set.billedBy(entry),
      })
      const abort = new AbortController()
      const parts: MessagePart[] = []
      const toolSet = entry.offline
        ? {}
        : tools.forCall(agent.dto.tools, {
            scope,
            conversationId: id,
            agentId: agent.dto.id,
            emit: (e) => {
              parts.push(e)
              log.push(e)
            },
          })
      const done = executeRun(db, set, {
        scope,
        ...call,
        runId,
        messageId: ids.answer,
        entry,
        model,
        system,
        history: history.messages,
        tools: toolSet,
        parts,
        log,
        abort,
        agentId: agent.dto.id,
        metered,
      })
        .catch((err: unknown) => {
          console.error(`[chat] run ${runId} crashed:`, err)
        })
        .finally(() => inflight.delete(runId))
      inflight.set(runId, { abort, done })
      return { runId }
    },

    /** Stops the answer being written: here if this process runs it, and through the run's row for any other. */
    async cancel(scope: ClientScope, id: string) {
      await load(scope, id)
      const run = await runs.running(db, scope, id)
      if (!run) return { cancelled: false }
      const local = inflight.get(run.id)
      local?.abort.abort()
      await runs.finish(db, scope, run.id, 'cancelled')
      if (local) await local.done
      else await closeOrphan(scope, run.id, run.messageId)
      return { cancelled: true }
    },

    async latestRun(scope: ClientScope, id: string) {
      await load(scope, id)
      return runs.latest(db, scope, id)
    },

    /** Stored events of a run, for streaming and Last-Event-ID resume. */
    eventsAfter: async (runId: string, seq: number) =>
      (await events.after(db, runId, seq)) as { seq: number; type: string; data: Record<string, unknown> }[],
    runDone: (runId: string) => events.isDone(db, runId),

    clientOf: async (id: string) => (await conversations.clientOf(db, id))?.clientId,

    /** Lets answers in flight finish (up to `ms`), then stops the rest; they are saved as cancelled. */
    async drain(ms = 10_000) {
      const all = [...inflight.values()]
      const timeout = new Promise((ok) => setTimeout(ok, ms).unref())
      await Promise.race([Promise.all(all.map((r) => r.done)), timeout])
      for (const r of inflight.values()) r.abort.abort()
      await Promise.all([...inflight.values()].map((r) => r.done))
    },
  }
}
export type ChatService = ReturnType<typeof createChatService>
