import type { Kysely } from 'kysely'
import type { AgentsTables } from './agents.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { AgentRow } from './agents.tables.ts'
import type { ClientScope, WorkspaceScope } from '../../platform/http/request-context.ts'
import type { AgentCreate, AgentDto, AgentPatch, BuiltinOverride } from '../../../contracts/agents.ts'
import { BUILTIN_AGENTS, findBuiltin, type BuiltinAgent } from './agents.catalog.ts'
import { agentsErrors } from './agents.errors.ts'
import { agents } from './agents.repository.ts'
import type { PromptAgent } from './prompt.ts'
import type { LimitCheck } from './agents.module.ts'

type Override = { instructions: string; modelId: string | null; updatedAt: Date }
const builtinDto = (a: BuiltinAgent, o?: Override): AgentDto => ({
  id: a.id,
  kind: 'builtin',
  name: a.name,
  avatar: a.avatar,
  role: a.role,
  description: a.description,
  starterPrompts: a.starterPrompts,
  tools: a.tools,
  modelId: o?.modelId ?? null,
  handoffs: a.handoffs,
  updatedAt: o?.updatedAt.toISOString() ?? null,
  customized: Boolean(o),
  clientInstructions: o?.instructions ?? '',
  instructions: '',
  archived: false,
})
const isClient = (scope: WorkspaceScope): scope is ClientScope =>
  'clientId' in scope && typeof scope.clientId === 'string'
const customDto = (a: AgentRow): AgentDto => ({
  id: a.id,
  kind: 'custom',
  name: a.name,
  avatar: a.avatar,
  role: 'custom agent',
  description: a.description,
  starterPrompts: [],
  tools: a.tools,
  modelId: a.modelId,
  handoffs: [],
  updatedAt: a.updatedAt.toISOString(),
  customized: false,
  clientInstructions: '',
  instructions: a.instructions,
  archived: a.archivedAt !== null,
})

/** What the chat needs to run an agent: its public face and the parts of its system prompt. */
export type ResolvedAgent = { dto: AgentDto; prompt: PromptAgent; tier: 'standard' | 'advanced' }

export const createAgentService = ({
  db,
  isKnownModel,
  entitlements,
}: {
  db: Kysely<AgentsTables>
  isKnownModel: (workspaceId: string, id: string) => Promise<boolean>
  entitlements: LimitCheck
}) => {
  const checkModel = async (scope: WorkspaceScope, modelId?: string | null) => {
    if (modelId && !(await isKnownModel(scope.workspaceId, modelId))) throw agentsErrors.model_unavailable({ modelId })
  }
  return {
    /** With a client scope, built-ins carry that client's adjustments. */
    async list(scope: WorkspaceScope, options: { archived?: boolean } = {}): Promise<AgentDto[]> {
      const overrides = new Map((isClient(scope) ? await agents.overrides(db, scope) : []).map((o) => [o.agentId, o]))
      return [
        ...BUILTIN_AGENTS.map((a) => builtinDto(a, overrides.get(a.id))),
        ...(await agents.list(db, scope, options.archived ?? false)).map(customDto),
      ]
    },

    /** A built-in or one of the workspace's own agents; another workspace's agent is "not found". */
    async resolve(scope: WorkspaceScope, id: string): Promise<ResolvedAgent> {
      const builtin = findBuiltin(id)
      if (builtin) {
        const o = isClient(scope) ? (await agents.overrides(db, scope)).find((x) => x.agentId === id) : undefined
        return {
          dto: builtinDto(builtin, o),
          prompt: { ...builtin, instructions: o?.instructions || undefined },
          tier: builtin.tier,
        }
      }
      const row = id.length <= 64 ? await agents.get(db, scope, id) : undefined
      if (!row || row.archivedAt) throw agentsErrors.not_found()
      return {
        dto: customDto(row),
        tier: 'standard',
        prompt: {
          name: row.name,
          role: row.description || 'specialist agent defined by the agency',
          responsibilities: [],
          boundaries: [],
          handoffs: [],
          instructions: row.instructions,
        },
      }
    },

    async create(scope: WorkspaceScope, body: AgentCreate) {
      await checkModel(scope, body.modelId)
      return db.transaction().execute(async (trx) => {
        await entitlements.check(trx, scope.workspaceId, 'customAgents')
        return customDto(
          await agents.insert(trx, scope, {
            id: newId('ag'),
            name: body.name,
            avatar: body.avatar,
            description: body.description,
            instructions: body.instructions,
            modelId: body.modelId ?? null,
            tools: body.tools ?? ['handoff', 'search_conversations'],
          }),
        )
      })
    },

    async update(scope: WorkspaceScope, id: string, patch: AgentPatch) {
      if (!(await agents.get(db, scope, id))) throw agentsErrors.not_found()
      await checkModel(scope, patch.modelId)
      const { archived, tools, ...rest } = patch
      return db.transaction().execute(async (trx) => {
        // Restoring an archived agent takes a slot again, so it is checked like a create.
        if (archived === false && (await agents.get(trx, scope, id))?.archivedAt)
          await entitlements.check(trx, scope.workspaceId, 'customAgents')
        return customDto(
          await agents.update(trx, scope, id, {
            ...rest,
            ...(tools ? { tools: JSON.stringify(tools) } : {}),
            ...(archived === undefined ? {} : { archivedAt: archived ? new Date() : null }),
          }),
        )
      })
    },

    /** Adjusts a built-in agent for one client: extra instructions, a preferred model. */
    async overrideBuiltin(scope: ClientScope, id: string, body: BuiltinOverride) {
      if (!findBuiltin(id)) throw agentsErrors.not_found()
      await checkModel(scope, body.modelId)
      await agents.upsertOverride(db, scope, id, body)
      return (await this.list(scope)).find((a) => a.id === id)!
    },

    workspaceOf: async (id: string) => (await agents.workspaceOf(db, id))?.workspaceId,
  }
}
export type AgentService = ReturnType<typeof createAgentService>
