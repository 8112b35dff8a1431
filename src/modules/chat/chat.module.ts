import type { Kysely } from 'kysely'
import type { Runs } from '../../platform/runs/runs.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'
import type { ChatTables } from './chat.tables.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { CreditsService, Metering } from '../credits/credits.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { ToolRegistry } from '../tools/tools.module.ts'
import type { FastifyInstance } from 'fastify'
import { chatRoutes } from './chat.routes.ts'
import { discoveryRoutes } from './discovery.routes.ts'
import { createChatService } from './chat.service.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { SuggestionSource } from './suggestions.ts'

export type { ChatService } from './chat.service.ts'

/** Conversations per client and agent; answers streamed over SSE, persisted, resumable, cancellable. */
export const createChatModule = (deps: {
  db: Kysely<ChatTables>
  runs: Runs
  streams: RunStreams
  scope: ScopeResolver
  agents: AgentService
  models: ModelsModule
  tools: ToolRegistry
  metering: Metering
  credits: CreditsService
  workspaceName: (scope: ClientScope) => Promise<string>
}) => {
  const db = deps.db
  const chat = createChatService({ ...deps, db })
  const sources: SuggestionSource[] = []
  const routes = async (app: FastifyInstance) => {
    await app.register(chatRoutes({ chat, scope: deps.scope, credits: deps.credits, streams: deps.streams }))
    await app.register(discoveryRoutes({ db, agents: deps.agents, scope: deps.scope, sources }))
  }
  /** Registered with the run layer by the composition root: how an answer nobody writes any more is closed. */
  return {
    chat,
    /** What other modules know of a client (connectors, knowledge), for the composer's suggestions. */
    suggestions: { connect: (source: SuggestionSource) => void sources.push(source) },
    routes: [routes],
    jobs: [],
    runKind: chat.runKind,
  } satisfies ModuleShape
}
export type ChatModule = ReturnType<typeof createChatModule>
