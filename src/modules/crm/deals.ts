import type { Kysely } from 'kysely'
import type { DealCreate, DealDto, DealListQuery, DealPatch } from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage } from '../../platform/db/pagination.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { liveContact } from './contacts.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmEvents } from './crm.events.ts'
import type { CrmTables, DealRow, StageRow } from './crm.tables.ts'
import { defaultPipelineId, stagesOf } from './pipelines.ts'

export const dealDto = (d: DealRow): DealDto => ({
  id: d.id,
  title: d.title,
  contactId: d.contactId,
  pipelineId: d.pipelineId,
  stageId: d.stageId,
  valueMinor: Number(d.valueMinor),
  currency: d.currency,
  position: d.position,
  status: d.status,
  lostReason: d.lostReason,
  closedAt: d.closedAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
})

/** A deal entering `stage`: its status follows the stage's outcome; a lost one needs its reason. */
const entering = (stage: StageRow, lostReason: string | undefined, now: Date) => {
  if (stage.outcome === 'lost' && !lostReason) throw crmErrors.lost_reason_required()
  return {
    stageId: stage.id,
    status: stage.outcome,
    lostReason: stage.outcome === 'lost' ? lostReason! : null,
    closedAt: stage.outcome === 'open' ? null : now,
  }
}

/** Records the stage a deal entered (append-only) and tells the bus, in `trx`. */
const recordStage = async (
  trx: Kysely<CrmTables>,
  events: Emits<CrmEvents>,
  scope: ClientScope,
  deal: DealRow,
  fromStageId: string | null,
) => {
  const changeId = newId('dsc')
  await trx
    .insertInto('crmDealStageChanges')
    .values({
      id: changeId,
      clientId: scope.clientId,
      dealId: deal.id,
      fromStageId,
      toStageId: deal.stageId,
      movedBy: scope.userId,
      lostReason: deal.lostReason,
    })
    .execute()
  await events.emit(trx, 'crm.deal-stage-changed', {
    workspaceId: scope.workspaceId,
    clientId: scope.clientId,
    dealId: deal.id,
    contactId: deal.contactId,
    changeId,
    fromStageId,
    toStageId: deal.stageId,
    status: deal.status,
  })
}

/** Inserts a deal for a live contact in a stage of a pipeline (and records that stage), in the caller's transaction. */
export const insertDeal = async (
  trx: Kysely<CrmTables>,
  events: Emits<CrmEvents>,
  scope: ClientScope,
  d: {
    contactId: string
    pipelineId: string
    stage: StageRow
    title: string
    valueMinor: number
    currency: string
    position?: number
    lostReason?: string
  },
) => {
  const deal = await trx
    .insertInto('crmDeals')
    .values({
      id: newId('deal'),
      workspaceId: scope.workspaceId,
      clientId: scope.clientId,
      pipelineId: d.pipelineId,
      contactId: d.contactId,
      title: d.title,
      valueMinor: d.valueMinor,
      currency: d.currency,
      position: d.position ?? Date.now(),
      createdBy: scope.userId,
      ...entering(d.stage, d.lostReason, new Date()),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await recordStage(trx, events, scope, deal, null)
  return deal
}

/** Deals in pipelines: created in a stage, moved along (every stage entered is kept, append-only), won or lost. */
export const createDeals = ({ db, events }: { db: Kysely<CrmTables>; events: Emits<CrmEvents> }) => {
  const dealRow = async (h: Kysely<CrmTables>, clientId: string, id: string, lock = false) => {
    const q = h.selectFrom('crmDeals').selectAll().where('clientId', '=', clientId).where('id', '=', id)
    const row = await (lock ? q.forUpdate() : q).executeTakeFirst()
    if (!row) throw crmErrors.deal_not_found()
    return row
  }

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmDeals').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    list: async (scope: ClientScope, q: DealListQuery) => {
      let query = db.selectFrom('crmDeals').selectAll().where('clientId', '=', scope.clientId)
      if (q.pipelineId) query = query.where('pipelineId', '=', q.pipelineId)
      if (q.stageId) query = query.where('stageId', '=', q.stageId)
      if (q.contactId) query = query.where('contactId', '=', q.contactId)
      if (q.status) query = query.where('status', '=', q.status)
      const page = await newestFirstPage(query, q)
      return { items: page.items.map((d) => dealDto(d as DealRow)), nextCursor: page.nextCursor }
    },

    get: async (scope: ClientScope, id: string) => dealDto(await dealRow(db, scope.clientId, id)),

    history: async (scope: ClientScope, id: string) => {
      await dealRow(db, scope.clientId, id)
      const rows = await db
        .selectFrom('crmDealStageChanges')
        .selectAll()
        .where('clientId', '=', scope.clientId)
        .where('dealId', '=', id)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .execute()
      return {
        items: rows.map((r) => ({
          id: r.id,
          fromStageId: r.fromStageId,
          toStageId: r.toStageId,
          movedBy: r.movedBy,
          lostReason: r.lostReason,
          at: r.at.toISOString(),
        })),
      }
    },

    create: async (scope: ClientScope, body: DealCreate) =>
      db.transaction().execute(async (trx) => {
        await liveContact(trx, scope.clientId, body.contactId)
        let pipelineId = body.pipelineId
        if (pipelineId) {
          const p = await trx
            .selectFrom('crmPipelines')
            .select('id')
            .where('clientId', '=', scope.clientId)
            .where('id', '=', pipelineId)
            .executeTakeFirst()
          if (!p) throw crmErrors.pipeline_not_found()
        } else pipelineId = await defaultPipelineId(trx, scope)
        const stages = await stagesOf(trx, pipelineId)
        const stage = body.stageId ? stages.find((s) => s.id === body.stageId) : stages[0]
        if (!stage) throw crmErrors.stage_not_found()
        const deal = await insertDeal(trx, events, scope, {
          contactId: body.contactId,
          pipelineId,
          stage,
          title: body.title,
          valueMinor: body.valueMinor,
          currency: body.currency,
          position: body.position,
          lostReason: body.lostReason,
        })
        return dealDto(deal)
      }),

    /** Changes a deal; a new `stageId` moves it (within its pipeline) and is recorded in its history. */
    update: async (scope: ClientScope, id: string, body: DealPatch) =>
      db.transaction().execute(async (trx) => {
        const current = await dealRow(trx, scope.clientId, id, true)
        let move = {}
        if (body.stageId && body.stageId !== current.stageId) {
          const stage = (await stagesOf(trx, current.pipelineId)).find((s) => s.id === body.stageId)
          if (!stage) throw crmErrors.stage_not_found()
          move = entering(stage, body.lostReason, new Date())
        }
        const deal = await trx
          .updateTable('crmDeals')
          .set({
            ...(body.title !== undefined ? { title: body.title } : {}),
            ...(body.valueMinor !== undefined ? { valueMinor: body.valueMinor } : {}),
            ...(body.currency !== undefined ? { currency: body.currency } : {}),
            ...(body.position !== undefined ? { position: body.position } : {}),
            ...move,
            updatedAt: new Date(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        if (deal.stageId !== current.stageId) await recordStage(trx, events, scope, deal, current.stageId)
        return dealDto(deal)
      }),
  }
}
export type Deals = ReturnType<typeof createDeals>
