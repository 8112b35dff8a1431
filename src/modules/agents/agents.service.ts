import type { Kysely } from 'kysely'
import type { AgentsTables } from './agents.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { AgentRow } from './agents.tables.ts'
import { createHash } from 'node:crypto'
import type { AuditService } from '../audit/audit.module.ts'
import type { RequestMeta } from '../../platform/http/request-context.ts'
import { sniffAvatar } from './avatar.ts'
import type { ClientScope, WorkspaceScope } from '../../platform/http/request-context.ts'
import {
  AGENT_AVATAR_MAX_BYTES,
  type AgentAvatarKey,
  type AgentCreate,
  type AgentDto,
  type AgentPatch,
  type BuiltinOverride,
} from '../../../contracts/agents.ts'
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
  avatarImage: null,
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
/** Where an uploaded picture is read; the hash in the query changes with the picture (so it may be cached for good). */
const avatarUrl = (id: string, sha: string | null | undefined) =>
  sha ? `/api/agents/${id}/avatar?v=${sha.slice(0, 16)}` : null
const customDto = (a: AgentRow & { avatarSha?: string | null }): AgentDto => ({
  id: a.id,
  kind: 'custom',
  name: a.name,
  avatar: a.avatar as AgentAvatarKey,
  avatarImage: avatarUrl(a.id, a.avatarSha),
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

const customDtoWith = (row: AgentRow, avatarSha: string | null) => customDto({ ...row, avatarSha })

/** What the chat needs to run an agent: its public face and the parts of its system prompt. */
export type ResolvedAgent = { dto: AgentDto; prompt: PromptAgent; tier: 'standard' | 'advanced' }

export const createAgentService = ({
  db,
  isKnownModel,
  entitlements,
  audit,
}: {
  db: Kysely<AgentsTables>
  audit: AuditService
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
      const avatarSha = await agents.avatarSha(db, id)
      return db.transaction().execute(async (trx) => {
        // Restoring an archived agent takes a slot again, so it is checked like a create.
        if (archived === false && (await agents.get(trx, scope, id))?.archivedAt)
          await entitlements.check(trx, scope.workspaceId, 'customAgents')
        return customDtoWith(
          await agents.update(trx, scope, id, {
            ...rest,
            ...(tools ? { tools: JSON.stringify(tools) } : {}),
            ...(archived === undefined ? {} : { archivedAt: archived ? new Date() : null }),
          }),
          avatarSha,
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

    /**
     * Sets a custom agent's picture from its bytes: PNG, JPEG or WebP by their signature (the Content-Type a client
     * sent is not trusted), at most AGENT_AVATAR_MAX_BYTES; audited. Answers the agent with its new picture's URL.
     */
    async putAvatar(scope: WorkspaceScope, id: string, bytes: Buffer, meta: RequestMeta) {
      const row = await agents.get(db, scope, id)
      if (!row) throw agentsErrors.not_found()
      if (bytes.length > AGENT_AVATAR_MAX_BYTES) throw agentsErrors.avatar_too_large()
      const mime = sniffAvatar(bytes)
      if (!mime) throw agentsErrors.avatar_type()
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      await db.transaction().execute(async (trx) => {
        await agents.putAvatar(trx, scope, { agentId: id, mime, data: bytes, sha256 })
        await audit.record(trx, {
          action: 'agent.avatar_uploaded',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'agent',
          targetId: id,
          ip: meta.ip,
          metadata: { name: row.name, mime, bytes: bytes.length, sha256 },
        })
      })
      return customDto({ ...row, avatarSha: sha256 })
    },

    /** Removes a custom agent's picture (its generated avatar shows again); audited when there was one. */
    removeAvatar: async (scope: WorkspaceScope, id: string, meta: RequestMeta) => {
      const row = await agents.get(db, scope, id)
      if (!row) throw agentsErrors.not_found()
      await db.transaction().execute(async (trx) => {
        const gone = await agents.removeAvatar(trx, scope, id)
        if (gone)
          await audit.record(trx, {
            action: 'agent.avatar_removed',
            workspaceId: scope.workspaceId,
            actorUserId: scope.userId,
            targetType: 'agent',
            targetId: id,
            ip: meta.ip,
            metadata: { name: row.name, mime: gone.mime, sha256: gone.sha256 },
          })
      })
    },

    /** A custom agent's uploaded picture; 404 when it has none (built-ins are drawn by the web app). */
    async avatarFile(scope: WorkspaceScope, id: string) {
      const file = await agents.avatar(db, scope, id)
      if (!file) throw agentsErrors.avatar_not_found()
      return { mime: file.mime, data: Buffer.from(file.data), sha256: file.sha256 }
    },

    workspaceOf: async (id: string) => (await agents.workspaceOf(db, id))?.workspaceId,
  }
}
export type AgentService = ReturnType<typeof createAgentService>
