import type { Db } from '../../platform/db/database.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { agentRoutes } from './agents.routes.ts'
import { createAgentService } from './agents.service.ts'

export { BUILTIN_AGENTS } from './agents.catalog.ts'
export { assembleSystemPrompt, type PromptContext } from './prompt.ts'
export type { AgentService, ResolvedAgent } from './agents.service.ts'

/** Built-in agents (code) and the workspace's own agents (table), and how their system prompts are assembled. */
export const createAgentsModule = (deps: { db: Db; scope: ScopeResolver; isKnownModel: (workspaceId: string, id: string) => Promise<boolean> }) => {
  const agents = createAgentService(deps)
  return { agents, routes: agentRoutes({ agents, scope: deps.scope }) }
}
export type AgentsModule = ReturnType<typeof createAgentsModule>
