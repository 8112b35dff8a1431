import type { Kysely } from 'kysely'
import type { AgentsTables } from './agents.tables.ts'
import type { ClientScope, WorkspaceScope } from '../../platform/http/request-context.ts'

/** Custom agents of one workspace; built-ins live in code. */
export const agents = {
  countActive: async (db: Kysely<AgentsTables>, workspaceId: string) =>
    Number(
      (
        await db
          .selectFrom('agents')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspaceId', '=', workspaceId)
          .where('archivedAt', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    ),
  /** With each agent its uploaded picture's hash (`avatarSha`, null without one); never the bytes. */
  list: (db: Kysely<AgentsTables>, scope: WorkspaceScope, includeArchived = false) => {
    const q = db
      .selectFrom('agents')
      .leftJoin('agentAvatars', 'agentAvatars.agentId', 'agents.id')
      .selectAll('agents')
      .select('agentAvatars.sha256 as avatarSha')
      .where('agents.workspaceId', '=', scope.workspaceId)
    return (includeArchived ? q : q.where('agents.archivedAt', 'is', null))
      .orderBy('agents.createdAt', 'asc')
      .limit(200)
      .execute()
  },
  /** The hash of an agent's uploaded picture, if it has one. */
  avatarSha: async (db: Kysely<AgentsTables>, agentId: string) =>
    (await db.selectFrom('agentAvatars').select('sha256').where('agentId', '=', agentId).executeTakeFirst())?.sha256 ??
    null,
  /** An agent's uploaded picture, within the scope's workspace. */
  avatar: (db: Kysely<AgentsTables>, scope: WorkspaceScope, agentId: string) =>
    db
      .selectFrom('agentAvatars')
      .innerJoin('agents', 'agents.id', 'agentAvatars.agentId')
      .select(['agentAvatars.mime', 'agentAvatars.data', 'agentAvatars.sha256', 'agentAvatars.updatedAt'])
      .where('agents.workspaceId', '=', scope.workspaceId)
      .where('agentAvatars.agentId', '=', agentId)
      .executeTakeFirst(),
  /** Sets (or replaces) an agent's picture; the caller has checked the agent is in its workspace. */
  putAvatar: (
    db: Kysely<AgentsTables>,
    scope: WorkspaceScope,
    a: { agentId: string; mime: string; data: Buffer; sha256: string },
  ) =>
    db
      .insertInto('agentAvatars')
      .values({ ...a, updatedBy: scope.userId })
      .onConflict((oc) =>
        oc.column('agentId').doUpdateSet({
          mime: a.mime,
          data: a.data,
          sha256: a.sha256,
          updatedBy: scope.userId,
          updatedAt: new Date(),
        }),
      )
      .execute(),
  /** Removes an agent's picture; what it was, or undefined if there was none. */
  removeAvatar: (db: Kysely<AgentsTables>, scope: WorkspaceScope, agentId: string) =>
    db
      .deleteFrom('agentAvatars')
      .where('agentId', '=', agentId)
      .where('agentId', 'in', db.selectFrom('agents').select('id').where('workspaceId', '=', scope.workspaceId))
      .returning(['mime', 'sha256'])
      .executeTakeFirst(),
  get: (db: Kysely<AgentsTables>, scope: WorkspaceScope, id: string) =>
    db
      .selectFrom('agents')
      .leftJoin('agentAvatars', 'agentAvatars.agentId', 'agents.id')
      .selectAll('agents')
      .select('agentAvatars.sha256 as avatarSha')
      .where('agents.workspaceId', '=', scope.workspaceId)
      .where('agents.id', '=', id)
      .executeTakeFirst(),
  insert: (
    db: Kysely<AgentsTables>,
    scope: WorkspaceScope,
    a: {
      id: string
      name: string
      avatar?: string
      description?: string
      instructions: string
      modelId: string | null
      tools: string[]
    },
  ) =>
    db
      .insertInto('agents')
      .values({ ...a, tools: JSON.stringify(a.tools), workspaceId: scope.workspaceId, createdBy: scope.userId })
      .returningAll()
      .executeTakeFirstOrThrow(),
  update: (db: Kysely<AgentsTables>, scope: WorkspaceScope, id: string, patch: Record<string, unknown>) =>
    db
      .updateTable('agents')
      .set({ ...patch, updatedAt: new Date() })
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  overrides: (db: Kysely<AgentsTables>, scope: ClientScope) =>
    db.selectFrom('agentOverrides').selectAll().where('clientId', '=', scope.clientId).execute(),
  upsertOverride: (
    db: Kysely<AgentsTables>,
    scope: ClientScope,
    agentId: string,
    o: { instructions?: string; modelId?: string | null },
  ) =>
    db
      .insertInto('agentOverrides')
      .values({
        clientId: scope.clientId,
        agentId,
        instructions: o.instructions ?? '',
        modelId: o.modelId ?? null,
        updatedBy: scope.userId,
      })
      .onConflict((oc) =>
        oc.columns(['clientId', 'agentId']).doUpdateSet({ ...o, updatedBy: scope.userId, updatedAt: new Date() }),
      )
      .execute(),
  /** The workspace an agent id belongs to, if the caller is a member there (for routes addressed by agent id). */
  workspaceOf: (db: Kysely<AgentsTables>, id: string) =>
    db.selectFrom('agents').select('workspaceId').where('id', '=', id).executeTakeFirst(),
}
