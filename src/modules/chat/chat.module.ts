import type { Db } from '../../schema.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { CreditsService, Metering } from '../credits/credits.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { ToolRegistry } from '../tools/tools.module.ts'
import type { FastifyInstance } from 'fastify'
import { chatRoutes } from './chat.routes.ts'
import { sweepStaleRuns } from './chat.jobs.ts'
import { discoveryRoutes } from './discovery.routes.ts'
import { createChatService } from './chat.service.ts'

export type { ChatService } from './chat.service.ts'

/** Conversations per client and agent; answers streamed over SSE, persisted, resumable, cancellable. */
export const createChatModule = (deps: {
  db: Db
  scope: ScopeResolver
  agents: AgentService
  models: ModelsModule
  tools: ToolRegistry
  metering: Metering
  credits: CreditsService
  workspaceName: (scope: ClientScope) => Promise<string>
}) => {
  const chat = createChatService(deps)
  const routes = async (app: FastifyInstance) => {
    await app.register(chatRoutes({ chat, scope: deps.scope, credits: deps.credits }))
    await app.register(discoveryRoutes({ db: deps.db, agents: deps.agents, scope: deps.scope }))
  }
  return { chat, routes, jobs: [sweepStaleRuns(deps.db)] }
}
export type ChatModule = ReturnType<typeof createChatModule>
