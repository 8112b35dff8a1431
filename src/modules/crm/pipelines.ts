import type { Kysely } from 'kysely'
import type { PipelineCreate, PipelineDto, StageAdd } from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables, StageOutcome, StageRow } from './crm.tables.ts'

/** The stages of the pipeline every client gets on first use. */
export const DEFAULT_STAGES: { name: string; outcome: StageOutcome }[] = [
  { name: 'New', outcome: 'open' },
  { name: 'Qualified', outcome: 'open' },
  { name: 'Proposal', outcome: 'open' },
  { name: 'Won', outcome: 'won' },
  { name: 'Lost', outcome: 'lost' },
]

const insertStages = (trx: Kysely<CrmTables>, clientId: string, pipelineId: string, stages: typeof DEFAULT_STAGES) =>
  trx
    .insertInto('crmStages')
    .values(
      stages.map((s, i) => ({ id: newId('stg'), clientId, pipelineId, name: s.name, position: i, outcome: s.outcome })),
    )
    .execute()

/**
 * The client's default pipeline, created on first use. Idempotent under concurrency: the insert does nothing when
 * another transaction made it (the unique index on the client's default waits for that one to commit), and the row
 * that won is read back — with its stages, inserted in the winner's transaction.
 */
export const defaultPipelineId = async (trx: Kysely<CrmTables>, scope: ClientScope) => {
  const made = await trx
    .insertInto('crmPipelines')
    .values({
      id: newId('pip'),
      workspaceId: scope.workspaceId,
      clientId: scope.clientId,
      name: 'Sales',
      isDefault: true,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst()
  if (made) {
    await insertStages(trx, scope.clientId, made.id, DEFAULT_STAGES)
    return made.id
  }
  const found = await trx
    .selectFrom('crmPipelines')
    .select('id')
    .where('clientId', '=', scope.clientId)
    .where('isDefault', '=', true)
    .executeTakeFirstOrThrow()
  return found.id
}

/** The stages of a pipeline, in board order. */
export const stagesOf = (h: Kysely<CrmTables>, pipelineId: string) =>
  h
    .selectFrom('crmStages')
    .selectAll()
    .where('pipelineId', '=', pipelineId)
    .orderBy('position')
    .orderBy('createdAt')
    .execute()

const stageDto = (s: StageRow) => ({ id: s.id, name: s.name, position: s.position, outcome: s.outcome })

export const createPipelines = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => {
  const dto = async (h: Kysely<CrmTables>, clientId: string, id: string): Promise<PipelineDto> => {
    const p = await h
      .selectFrom('crmPipelines')
      .selectAll()
      .where('clientId', '=', clientId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!p) throw crmErrors.pipeline_not_found()
    return {
      id: p.id,
      name: p.name,
      isDefault: p.isDefault,
      stages: (await stagesOf(h, p.id)).map(stageDto),
      createdAt: p.createdAt.toISOString(),
    }
  }

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmPipelines').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    /** The client's pipelines, the default first (created now if it was not yet). */
    list: async (scope: ClientScope) => {
      await db.transaction().execute((trx) => defaultPipelineId(trx, scope))
      const rows = await db
        .selectFrom('crmPipelines')
        .select('id')
        .where('clientId', '=', scope.clientId)
        .orderBy('isDefault', 'desc')
        .orderBy('createdAt')
        .orderBy('id')
        .execute()
      const items: PipelineDto[] = []
      for (const r of rows) items.push(await dto(db, scope.clientId, r.id))
      return { items }
    },

    get: (scope: ClientScope, id: string) => dto(db, scope.clientId, id),

    create: async (scope: ClientScope, body: PipelineCreate, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const id = newId('pip')
        await trx
          .insertInto('crmPipelines')
          .values({ id, workspaceId: scope.workspaceId, clientId: scope.clientId, name: body.name, isDefault: false })
          .execute()
        await insertStages(trx, scope.clientId, id, body.stages)
        await audit.record(trx, {
          action: 'pipeline.created',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'crm_pipeline',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, name: body.name },
        })
        return dto(trx, scope.clientId, id)
      }),

    rename: async (scope: ClientScope, id: string, name: string) => {
      const r = await db
        .updateTable('crmPipelines')
        .set({ name })
        .where('clientId', '=', scope.clientId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (r.numUpdatedRows === 0n) throw crmErrors.pipeline_not_found()
      return dto(db, scope.clientId, id)
    },

    /** Adds a stage at `position` (default: last); the stages from there on move one place right. */
    addStage: async (scope: ClientScope, id: string, body: StageAdd) =>
      db.transaction().execute(async (trx) => {
        const p = await trx
          .selectFrom('crmPipelines')
          .select('id')
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst()
        if (!p) throw crmErrors.pipeline_not_found()
        const stages = await stagesOf(trx, id)
        const position = Math.min(body.position ?? stages.length, stages.length)
        await trx
          .updateTable('crmStages')
          .set((eb) => ({ position: eb('position', '+', 1) }))
          .where('pipelineId', '=', id)
          .where('position', '>=', position)
          .execute()
        await trx
          .insertInto('crmStages')
          .values({
            id: newId('stg'),
            clientId: scope.clientId,
            pipelineId: id,
            name: body.name,
            position,
            outcome: body.outcome,
          })
          .execute()
        return dto(trx, scope.clientId, id)
      }),
  }
}
export type Pipelines = ReturnType<typeof createPipelines>
