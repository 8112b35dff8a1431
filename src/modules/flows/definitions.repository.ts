import type { Kysely } from 'kysely'
import type { FlowGraph, FlowState } from '../../../contracts/flows.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { FlowsTables } from './flows.tables.ts'

type Db = Kysely<FlowsTables>

/** Flows of one client: the workspace and the client are in every `where`. */
export const flows = {
  /** What a flow counts against the plan: every flow of the workspace that is not archived. */
  countActive: async (db: Db, workspaceId: string) =>
    Number(
      (
        await db
          .selectFrom('flows')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspaceId', '=', workspaceId)
          .where('state', '<>', 'archived')
          .executeTakeFirstOrThrow()
      ).n,
    ),

  /** Archived flows only when asked for by `state`; otherwise active and paused ones. */
  page: (db: Db, scope: ClientScope, state: FlowState | undefined, q: PageRequest) => {
    const base = db
      .selectFrom('flows')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
    return newestFirstPage(state ? base.where('state', '=', state) : base.where('state', '<>', 'archived'), q)
  },

  get: (db: Db, scope: ClientScope, id: string) =>
    db
      .selectFrom('flows')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst(),

  /** The row under its lock: publishes and state changes of one flow are serialised. */
  lock: (trx: Db, scope: ClientScope, id: string) =>
    trx
      .selectFrom('flows')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst(),

  /** The client a flow id belongs to, to resolve the caller's access to it (routes addressed by flow id). */
  clientOf: async (db: Db, id: string) =>
    (await db.selectFrom('flows').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

  insert: (
    trx: Db,
    scope: ClientScope,
    f: { id: string; name: string; description: string; draft: FlowGraph; state?: FlowState },
  ) =>
    trx
      .insertInto('flows')
      .values({
        id: f.id,
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        name: f.name,
        description: f.description,
        draft: JSON.stringify(f.draft),
        state: f.state ?? 'active',
        createdBy: scope.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),

  /** Compare-and-set on the revision the edit started from: undefined when it is stale (or the flow is not there). */
  updateDraft: (
    db: Db,
    scope: ClientScope,
    id: string,
    revision: number,
    patch: { name?: string; description?: string; draft?: FlowGraph },
  ) =>
    db
      .updateTable('flows')
      .set((eb) => ({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.draft === undefined ? {} : { draft: JSON.stringify(patch.draft) }),
        draftRevision: eb('draftRevision', '+', 1),
        updatedAt: new Date(),
      }))
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .where('draftRevision', '=', revision)
      .where('state', '<>', 'archived')
      .returningAll()
      .executeTakeFirst(),

  set: (trx: Db, scope: ClientScope, id: string, patch: { state?: FlowState; publishedVersionId?: string }) =>
    trx
      .updateTable('flows')
      .set({ ...patch, updatedAt: new Date() })
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),
}

/** Immutable graphs: published versions (numbered) and draft snapshots of test runs (deduplicated by hash). */
export const versions = {
  byIds: (db: Db, workspaceId: string, ids: string[]) =>
    ids.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('flowVersions')
          .selectAll()
          .where('workspaceId', '=', workspaceId)
          .where('id', 'in', ids)
          .execute(),

  lastNumber: async (trx: Db, workspaceId: string, flowId: string) =>
    Number(
      (
        await trx
          .selectFrom('flowVersions')
          .select((eb) => eb.fn.max('number').as('n'))
          .where('workspaceId', '=', workspaceId)
          .where('flowId', '=', flowId)
          .where('published', '=', true)
          .executeTakeFirst()
      )?.n ?? 0,
    ),

  insertPublished: (
    trx: Db,
    scope: ClientScope,
    v: { id: string; flowId: string; number: number; graph: FlowGraph; graphHash: string },
  ) =>
    trx
      .insertInto('flowVersions')
      .values({
        ...v,
        graph: JSON.stringify(v.graph),
        workspaceId: scope.workspaceId,
        published: true,
        createdBy: scope.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),

  /** A draft snapshot, once per (flow, graph hash): a concurrent or repeated test run finds the same row. */
  snapshot: async (
    trx: Db,
    s: { id: string; workspaceId: string; flowId: string; graph: FlowGraph; graphHash: string; userId: string },
  ) => {
    await trx
      .insertInto('flowVersions')
      .values({
        id: s.id,
        flowId: s.flowId,
        workspaceId: s.workspaceId,
        number: null,
        graph: JSON.stringify(s.graph),
        graphHash: s.graphHash,
        published: false,
        createdBy: s.userId,
      })
      .onConflict((oc) => oc.columns(['flowId', 'graphHash']).where('published', '=', false).doNothing())
      .execute()
    return trx
      .selectFrom('flowVersions')
      .selectAll()
      .where('workspaceId', '=', s.workspaceId)
      .where('flowId', '=', s.flowId)
      .where('graphHash', '=', s.graphHash)
      .where('published', '=', false)
      .executeTakeFirstOrThrow()
  },
}

/** A flow's webhook URL as its DTO shows it: the hint only (the secret is stored hashed). */
export const webhookHints = async (db: Db, workspaceId: string, flowIds: string[]) =>
  new Map(
    (flowIds.length
      ? await db
          .selectFrom('flowWebhooks')
          .select(['flowId', 'secretHint'])
          .where('workspaceId', '=', workspaceId)
          .where('flowId', 'in', flowIds)
          .execute()
      : []
    ).map((w) => [w.flowId, w.secretHint]),
  )
