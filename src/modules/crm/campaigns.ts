import type { Kysely } from 'kysely'
import type { FeatureGate } from '../features/features.module.ts'
import type {
  CampaignCreate,
  CampaignDto,
  CampaignListQuery,
  CampaignMessage,
  CampaignPatch,
  CampaignPreviewDto,
  CampaignSegment,
  CampaignStats,
} from '../../../contracts/crm-campaigns.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { evaluateSegment, MAX_RECIPIENTS } from './campaign-segment.ts'
import { createCampaignRunner, type CampaignInbox } from './campaign-run.ts'
import { createRecipientReader, type StatusReader } from './campaign-recipients.ts'
import { crmErrors } from './crm.errors.ts'
import type { CampaignRow, CrmTables } from './crm.tables.ts'

const PREVIEW_FIRST = 20
const INSERT_CHUNK = 500

/** The client's WhatsApp numbers as the channels module answers (the CRM never reads its tables). */
export type CampaignNumbers = {
  /** The number's kind, or undefined when it is not the scope's client's. */
  kindOf(scope: ClientScope, channelId: string): Promise<'qr' | 'cloud' | undefined>
  /** A Cloud number's templates as Meta lists them. */
  templates(scope: ClientScope, channelId: string): Promise<{ name: string; language: string; status: string }[]>
}

/**
 * Campaigns (issue 14 §9, ADR 0006 "Campaigns"): drafts changed freely; a start freezes the recipients in one
 * transaction (the segment evaluated once: opted-out and unreachable contacts recorded as skipped) with the
 * `crm.run-campaign` job, which queues them through the inbox's outbox in batches; a cancel stops further queueing.
 */
export const createCampaigns = (deps: {
  db: Kysely<CrmTables>
  audit: AuditService
  queue: Queue
  numbers: CampaignNumbers
  inbox: CampaignInbox & { statuses: StatusReader }
  features: Pick<FeatureGate, 'require'>
}) => {
  const { db, audit } = deps
  const runner = createCampaignRunner({ db, inbox: deps.inbox })
  const reader = createRecipientReader({ db, statuses: deps.inbox.statuses })

  const find = async (h: Kysely<CrmTables>, scope: ClientScope, id: string, lock = false) => {
    let q = h.selectFrom('crmCampaigns').selectAll().where('clientId', '=', scope.clientId).where('id', '=', id)
    if (lock) q = q.forUpdate()
    const row = await q.executeTakeFirst()
    if (!row) throw crmErrors.campaign_not_found()
    return row
  }

  const dto = (c: CampaignRow, stats: CampaignStats | null): CampaignDto => ({
    id: c.id,
    name: c.name,
    channelId: c.channelId,
    channelKind: c.channelKind,
    segment: c.segment as CampaignSegment,
    message: c.message as CampaignMessage,
    status: c.status,
    stats,
    createdBy: c.createdBy,
    startedAt: c.startedAt?.toISOString() ?? null,
    cancelledAt: c.cancelledAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
  })
  const withStats = async (c: CampaignRow) => dto(c, c.status === 'draft' ? null : await reader.stats(c))

  /** The number's kind, checked against the message (Cloud: a template; QR: a text). */
  const kindFor = async (scope: ClientScope, channelId: string, message: CampaignMessage) => {
    const kind = await deps.numbers.kindOf(scope, channelId)
    if (!kind) throw crmErrors.number_not_found()
    if (kind === 'cloud' && message.type !== 'template') throw crmErrors.campaign_needs_template()
    if (kind === 'qr' && message.type === 'template') throw crmErrors.campaign_template_needs_cloud()
    return kind
  }

  const preview = async (scope: ClientScope, c: CampaignRow, segment?: CampaignSegment) => {
    const members = await evaluateSegment(db, scope.clientId, segment ?? c.segment, c.channelKind)
    const reachable = members.filter((m) => !m.optedOut && m.address)
    return {
      matching: members.length,
      optedOut: members.filter((m) => m.optedOut).length,
      unreachable: members.filter((m) => !m.optedOut && !m.address).length,
      recipients: reachable.length,
      first: reachable
        .slice(0, PREVIEW_FIRST)
        .map((m) => ({ contactId: m.contactId, name: m.name, address: m.address! })),
    } satisfies CampaignPreviewDto
  }

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmCampaigns').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    async create(scope: ClientScope, body: CampaignCreate, meta: RequestMeta) {
      const kind = await kindFor(scope, body.channelId, body.message)
      const row = await db.transaction().execute(async (trx) => {
        const made = await trx
          .insertInto('crmCampaigns')
          .values({
            id: newId('cmp'),
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            createdBy: scope.userId,
            name: body.name,
            channelId: body.channelId,
            channelKind: kind,
            segment: JSON.stringify(body.segment),
            message: JSON.stringify(body.message),
            status: 'draft',
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await audit.record(trx, {
          action: 'campaign.created',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'crm_campaign',
          targetId: made.id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, name: body.name, channelId: body.channelId },
        })
        return made
      })
      return dto(row, null)
    },

    async list(scope: ClientScope, q: CampaignListQuery) {
      let query = db.selectFrom('crmCampaigns').selectAll().where('clientId', '=', scope.clientId)
      if (q.status) query = query.where('status', '=', q.status)
      const page = await newestFirstPage(query, q)
      return { items: await Promise.all(page.items.map(withStats)), nextCursor: page.nextCursor }
    },

    get: async (scope: ClientScope, id: string) => withStats(await find(db, scope, id)),

    async update(scope: ClientScope, id: string, body: CampaignPatch) {
      const current = await find(db, scope, id)
      if (current.status !== 'draft') throw crmErrors.campaign_not_draft({ status: current.status })
      const message = body.message ?? (current.message as CampaignMessage)
      const kind = await kindFor(scope, body.channelId ?? current.channelId, message)
      const row = await db.transaction().execute(async (trx) => {
        const locked = await find(trx, scope, id, true)
        if (locked.status !== 'draft') throw crmErrors.campaign_not_draft({ status: locked.status })
        return trx
          .updateTable('crmCampaigns')
          .set({
            ...(body.name ? { name: body.name } : {}),
            ...(body.channelId ? { channelId: body.channelId } : {}),
            channelKind: kind,
            ...(body.segment ? { segment: JSON.stringify(body.segment) } : {}),
            ...(body.message ? { message: JSON.stringify(body.message) } : {}),
            updatedAt: new Date(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
      })
      return dto(row, null)
    },

    preview: async (scope: ClientScope, id: string, segment?: CampaignSegment) =>
      preview(scope, await find(db, scope, id), segment),

    /**
     * Freezes the recipients and starts sending (202). The segment is evaluated once, in the transaction that locks
     * the campaign: opted-out and unreachable contacts are recorded as skipped; the rest are pending for the job. Refused:
     * a campaign not a draft (409), a Cloud template that is not approved (400), nobody to send to (409), more than the
     * plan's inbox messages left this month (402 `plan.limit_reached`), a number that cannot send now (409).
     */
    async start(scope: ClientScope, id: string, meta: RequestMeta) {
      await deps.features.require(scope.workspaceId, 'campaigns')
      const current = await find(db, scope, id)
      if (current.status !== 'draft') throw crmErrors.campaign_not_draft({ status: current.status })
      const message = current.message as CampaignMessage
      const kind = await kindFor(scope, current.channelId, message)
      if (message.type === 'template') {
        const templates = await deps.numbers.templates(scope, current.channelId)
        const ok = templates.some(
          (t) => t.name === message.name && t.language === message.language && t.status === 'APPROVED',
        )
        if (!ok) throw crmErrors.template_not_approved({ name: message.name, language: message.language })
      }
      // The number must be able to send now (outside the transaction: the inbox asks the channels module).
      await deps.inbox.broadcast.open(scope, current.channelId)
      const row = await db.transaction().execute(async (trx) => {
        const c = await find(trx, scope, id, true)
        if (c.status !== 'draft') throw crmErrors.campaign_not_draft({ status: c.status })
        const members = await evaluateSegment(trx, scope.clientId, c.segment, kind)
        if (members.length > MAX_RECIPIENTS) throw crmErrors.campaign_too_large({ max: MAX_RECIPIENTS })
        const sendable = members.filter((m) => !m.optedOut && m.address).length
        if (!sendable) throw crmErrors.campaign_no_recipients()
        await deps.inbox.broadcast.checkPlan(trx, scope.workspaceId, sendable)
        const rows = members.map((m, seq) => ({
          campaignId: id,
          contactId: m.contactId,
          clientId: scope.clientId,
          seq,
          name: m.name,
          address: m.address,
          state: m.optedOut || !m.address ? ('skipped' as const) : ('pending' as const),
          reason: m.optedOut ? ('opted_out' as const) : !m.address ? ('no_whatsapp' as const) : null,
        }))
        for (let i = 0; i < rows.length; i += INSERT_CHUNK)
          await trx
            .insertInto('crmCampaignRecipients')
            .values(rows.slice(i, i + INSERT_CHUNK))
            .execute()
        const at = new Date()
        const started = await trx
          .updateTable('crmCampaigns')
          .set({
            status: 'sending',
            channelKind: kind,
            total: members.length,
            skipped: members.length - sendable,
            startedBy: scope.userId,
            startedAt: at,
            updatedAt: at,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await audit.record(trx, {
          action: 'campaign.started',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'crm_campaign',
          targetId: id,
          ip: meta.ip,
          metadata: {
            clientId: scope.clientId,
            recipients: sendable,
            skipped: members.length - sendable,
            requestId: meta.requestId,
          },
        })
        await deps.queue.enqueue(trx, runner.job, { campaignId: id })
        return started
      })
      return withStats(row)
    },

    /**
     * Stops queueing: pending recipients are skipped (`cancelled`). Waits for a batch in flight (it holds the
     * campaign's lock), so nothing is queued after the cancel commits; what is already in the outbox is sent.
     */
    async cancel(scope: ClientScope, id: string, meta: RequestMeta) {
      const row = await db.transaction().execute(async (trx) => {
        const c = await find(trx, scope, id, true)
        if (c.status === 'done' || c.status === 'cancelled') throw crmErrors.campaign_finished({ status: c.status })
        const skipped = await trx
          .updateTable('crmCampaignRecipients')
          .set({ state: 'skipped', reason: 'cancelled' })
          .where('campaignId', '=', id)
          .where('state', '=', 'pending')
          .executeTakeFirst()
        const at = new Date()
        const cancelled = await trx
          .updateTable('crmCampaigns')
          .set({
            status: 'cancelled',
            skipped: c.skipped + Number(skipped.numUpdatedRows),
            cancelledBy: scope.userId,
            cancelledAt: at,
            finishedAt: at,
            updatedAt: at,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await audit.record(trx, {
          action: 'campaign.cancelled',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'crm_campaign',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, wasStatus: c.status, notQueued: Number(skipped.numUpdatedRows) },
        })
        return cancelled
      })
      return withStats(row)
    },

    recipients: async (scope: ClientScope, id: string, q: Parameters<typeof reader.page>[1]) =>
      reader.page(await find(db, scope, id), q),

    /** Queues every pending recipient now (what the job does). */
    run: runner.run,
    jobs: [runner.job],
  }
}
export type Campaigns = ReturnType<typeof createCampaigns>
