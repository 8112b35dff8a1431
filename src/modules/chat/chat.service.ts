import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ChatTables, Conversation, Message } from './chat.tables.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { ChatEvent, ConversationDto, MessageDto, MessagePart, Usage } from '../../../contracts/chat.ts'
import { assembleSystemPrompt, type AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { Metering, CreditHold } from '../credits/credits.module.ts'
import { creditsErrors } from '../credits/credits.module.ts'
import { searchConversationsTool, type ToolRegistry } from '../tools/tools.module.ts'
import { handoffTool } from './handoff-tool.ts'
import { searchClient } from './search.repository.ts'
import { chatErrors } from './chat.errors.ts'
import { conversations, messages, type Executor } from './chat.repository.ts'
import { executeRun } from './chat-runner.ts'
import { countTokens, fitToContext } from './history.ts'
import type { RunKind, Runs } from '../../platform/runs/runs.ts'

/** Chat answers are runs of this kind, one running per conversation (the run's subject). */
const RUN_KIND = 'chat'

type ClientRow = { name: string; website: string | null; notes: string | null }
export type ChatScope = ClientScope & { client: ClientRow }

type Deps = {
  db: Executor
  runs: Runs
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

/** Conversations per client and agent, and the answers streamed into them. */
export const createChatService = ({
  db,
  runs,
  agents,
  models,
  tools,
  metering,
  workspaceName,
  now = () => new Date(),
}: Deps) => {
  const isOffline = (id: string | null) => Boolean(id && models.find(id)?.offline)

  const load = async (scope: ClientScope, id: string) => {
    const c = id.length <= 64 ? await conversations.get(db, scope, id) : undefined
    if (!c) throw chatErrors.conversation_not_found()
    return c
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

  /** The streamed text of a run, for an answer whose process is gone. */
  const streamedText = async (h: Handle, runId: string) =>
    (await runs.eventData(h, runId, 'delta')).map((d) => String(d.text ?? '')).join('')
  const running = (h: Handle, scope: ClientScope, conversationIds: string[]) =>
    runs.running(h, scope.workspaceId, RUN_KIND, conversationIds)

  /** What an answer whose process died had written: its saved text, else the deltas it streamed (for the hold sweeper). */
  const recoverAnswer = async (hold: CreditHold) => {
    const m = await messages.answerOf(db, hold.clientId ?? '', hold.requestId)
    if (!m?.runId) return ''
    return m.content || streamedText(db, m.runId)
  }

  /** Closes an answer nobody is writing any more (the run layer's sweeper, or a cancel that found no writer). */
  const runKind: RunKind = {
    maxAgeMs: 15 * 60_000,
    async finalise(trx, run, status) {
      const m = await messages.ofRun(own<ChatTables>(trx), run.id)
      if (!m) return { status }
      await messages.close(own<ChatTables>(trx), m.id, {
        status,
        partial: await streamedText(trx, run.id),
        ...(status === 'failed'
          ? { error: { code: 'chat.interrupted', message: 'The server stopped while writing this answer.' } }
          : {}),
      })
      return { messageId: m.id, status }
    },
  }

  return {
    runKind,
    recoverAnswer,
    /** The tools chat gives agents (registered by the composition root). */
    tools: [handoffTool(db, agents), searchConversationsTool((scope, q) => searchClient(db, scope, q, 5))],
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
      const page = await conversations.page(db, scope, q)
      const busy = await running(
        db,
        scope,
        page.items.map((c) => c.id),
      )
      return { items: page.items.map((c) => toConversationDto(c, busy.has(c.id))), nextCursor: page.nextCursor }
    },

    async get(scope: ClientScope, id: string) {
      const c = await load(scope, id)
      return toConversationDto(c, (await running(db, scope, [id])).has(id))
    },

    async update(scope: ClientScope, id: string, patch: { title?: string; pinned?: boolean; archived?: boolean }) {
      await load(scope, id)
      const { archived, ...rest } = patch
      const c = await conversations.update(db, scope, id, {
        ...rest,
        ...(archived === undefined ? {} : { archivedAt: archived ? now() : null }),
      })
      return toConversationDto(c, (await running(db, scope, [id])).has(id))
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
        const prior = await messages.answerOf(db, scope.clientId, requestId)
        if (!prior?.runId || prior.conversationId !== id) throw requestErrors.not_replayable({ why: 'no_answer' })
        return { runId: prior.runId }
      }

      const runId = newId('run')
      const ids = { user: newId('msg'), answer: newId('msg') }
      await db
        .transaction()
        .execute(async (trx) => {
          if ((await running(trx, scope, [id])).size) throw chatErrors.run_in_progress()
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
            runId,
          })
          await runs.insert(trx, { id: runId, kind: RUN_KIND, workspaceId: scope.workspaceId, subjectId: id })
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

      runs.start<ChatEvent>(runId, async ({ log, abort }) => {
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
        await executeRun(set, {
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
          finishRun: (trx, status) => runs.finish(trx, scope.workspaceId, runId, status),
          agentId: agent.dto.id,
          metered,
        })
      })
      return { runId }
    },

    /** Stops the answer being written, whichever process writes it (the run layer carries the cancel). */
    async cancel(scope: ClientScope, id: string) {
      await load(scope, id)
      const run = (await running(db, scope, [id])).get(id)
      if (!run) return { cancelled: false }
      await runs.cancel(scope.workspaceId, run.id)
      return { cancelled: true }
    },

    /** The latest answer's run of a conversation, to stream or resume. */
    async latestRun(scope: ClientScope, id: string) {
      await load(scope, id)
      return runs.latest(scope.workspaceId, RUN_KIND, id)
    },

    clientOf: async (id: string) => (await conversations.clientOf(db, id))?.clientId,
  }
}
export type ChatService = ReturnType<typeof createChatService>
