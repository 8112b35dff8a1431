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
  list: (db: Kysely<AgentsTables>, scope: WorkspaceScope, includeArchived = false) => {
    const q = db.selectFrom('agents').selectAll().where('workspaceId', '=', scope.workspaceId)
    return (includeArchived ? q : q.where('archivedAt', 'is', null)).orderBy('createdAt', 'asc').limit(200).execute()
  },
  get: (db: Kysely<AgentsTables>, scope: WorkspaceScope, id: string) =>
    db
      .selectFrom('agents')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', id)
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
