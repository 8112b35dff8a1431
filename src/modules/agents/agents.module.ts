import type { Kysely } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import type { AgentsTables } from './agents.tables.ts'
import type { LimitKey } from '../../../contracts/plans.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { agentRoutes } from './agents.routes.ts'
import { createAgentService } from './agents.service.ts'
import { agents as agentRows } from './agents.repository.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { avatarRoutes } from './avatar.routes.ts'

export { BUILTIN_AGENTS } from './agents.catalog.ts'
export { assembleSystemPrompt, type PromptContext } from './prompt.ts'
export type { AgentService, ResolvedAgent } from './agents.service.ts'

/** What agents count against a plan: the workspace's custom agents that are not archived. */
export const agentsUsage = {
  customAgents: (handle: Handle, workspaceId: string) => agentRows.countActive(own<AgentsTables>(handle), workspaceId),
}

/** Plan limits, asked inside the transaction that creates (or restores) a custom agent. */
export type LimitCheck = {
  check(handle: Handle, workspaceId: string, key: LimitKey, adding?: number): Promise<void>
}

/** Built-in agents (code) and the workspace's own agents (table), and how their system prompts are assembled. */
export const createAgentsModule = (deps: {
  db: Kysely<AgentsTables>
  scope: ScopeResolver
  isKnownModel: (workspaceId: string, id: string) => Promise<boolean>
  entitlements: LimitCheck
  audit: AuditService
}) => {
  const agents = createAgentService(deps)
  return {
    agents,
    routes: [agentRoutes({ agents, scope: deps.scope }), avatarRoutes({ agents, scope: deps.scope })],
    jobs: [],
  } satisfies ModuleShape
}
export type AgentsModule = ReturnType<typeof createAgentsModule>
