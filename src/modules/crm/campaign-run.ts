import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { defineJob } from '../../platform/queue/queue.ts'
import type { Broadcast, BroadcastContent } from '../inbox/inbox.module.ts'
import type { CampaignMessageValue, CampaignRecipientRow, CrmTables } from './crm.tables.ts'
import { addressesOf, optedOut } from './opt-outs.ts'

/** Recipients per transaction: a crash loses at most one batch's work, and no transaction holds a whole campaign. */
export const CAMPAIGN_BATCH = 50

/** What the CRM uses of the inbox to queue a campaign (its public API, `broadcast.ts`). */
export type CampaignInbox = { broadcast: Pick<Broadcast, 'open' | 'checkPlan'> }

/** The outbox's id of a recipient's message: the same campaign and contact always name the same message. */
export const campaignMessageId = (campaignId: string, contactId: string) =>
  `camp_${createHash('sha256').update(`${campaignId}:${contactId}`).digest('base64url').slice(0, 40)}`

/** The message for one recipient: `{{name}}` is the recipient's name. */
export const contentFor = (m: CampaignMessageValue, name: string): BroadcastContent => {
  const fill = (s: string) => s.replaceAll('{{name}}', name)
  if (m.type === 'text') return { type: 'text', text: fill(m.text) }
  return {
    type: 'template',
    name: m.name,
    language: m.language,
    ...(m.variables.length
      ? { components: [{ type: 'body', parameters: m.variables.map((v) => ({ type: 'text', text: fill(v) })) }] }
      : {}),
  }
}

/**
 * The `crm.run-campaign` job: queues a sending campaign's pending recipients into the inbox's outbox, a batch per
 * transaction that locks the campaign row first — so two runs never queue a batch twice, a cancel waits for the batch
 * in flight, and a dead run's retry resumes at the first pending recipient. Each recipient's opt-out is checked again
 * (a STOP that arrived mid-campaign is honoured), and each message's `clientMessageId` is derived from the campaign and
 * the contact, so even a recipient queued by a batch whose record was lost is answered by its first message.
 */
export const createCampaignRunner = ({ db, inbox }: { db: Kysely<CrmTables>; inbox: CampaignInbox }) => {
  const runBatch = async (campaignId: string) => {
    const c = await db.selectFrom('crmCampaigns').selectAll().where('id', '=', campaignId).executeTakeFirst()
    if (!c || c.status !== 'sending' || !c.startedBy) return false
    const scope: ClientScope = {
      workspaceId: c.workspaceId,
      clientId: c.clientId,
      userId: c.startedBy,
      role: 'member',
    }
    // Outside the transaction (the inbox asks the channels module); a number that cannot send fails the run, retried.
    const sending = await inbox.broadcast.open(scope, c.channelId)
    const done = await db.transaction().execute(async (trx) => {
      const locked = await trx
        .selectFrom('crmCampaigns')
        .select(['status'])
        .where('id', '=', campaignId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      if (locked.status !== 'sending') return { more: false }
      const rows = await trx
        .selectFrom('crmCampaignRecipients')
        .selectAll()
        .where('campaignId', '=', campaignId)
        .where('state', '=', 'pending')
        .orderBy('seq')
        .limit(CAMPAIGN_BATCH)
        .execute()
      if (!rows.length) {
        await trx
          .updateTable('crmCampaigns')
          .set({ status: 'done', finishedAt: new Date(), updatedAt: new Date() })
          .where('id', '=', campaignId)
          .execute()
        return { more: false }
      }
      const addresses = await addressesOf(
        trx,
        c.clientId,
        rows.map((r) => r.contactId),
      )
      const out = await optedOut(trx, c.clientId, [...addresses.values(), rows.map((r) => r.address ?? '')].flat())
      const isOut = (r: CampaignRecipientRow) =>
        (r.address !== null && out.has(r.address)) || (addresses.get(r.contactId) ?? []).some((a) => out.has(a))
      const go = rows.filter((r) => !isOut(r))
      const message = c.message as CampaignMessageValue
      const { outcomes, after } = await sending.queue(
        trx,
        go.map((r) => ({
          waId: r.address!,
          name: r.name,
          content: contentFor(message, r.name),
          clientMessageId: campaignMessageId(campaignId, r.contactId),
        })),
      )
      const at = new Date()
      let queued = 0
      let skipped = 0
      for (const r of rows.filter(isOut)) {
        skipped++
        await setRecipient(trx, campaignId, r.contactId, { state: 'skipped', reason: 'opted_out' })
      }
      for (const [i, r] of go.entries()) {
        const o = outcomes[i]!
        if (o.status === 'queued') {
          queued++
          await setRecipient(trx, campaignId, r.contactId, { state: 'queued', messageId: o.messageId, queuedAt: at })
        } else {
          skipped++
          await setRecipient(trx, campaignId, r.contactId, { state: 'skipped', reason: o.reason })
        }
      }
      await trx
        .updateTable('crmCampaigns')
        .set({ queued: sql`queued + ${queued}`, skipped: sql`skipped + ${skipped}`, updatedAt: at })
        .where('id', '=', campaignId)
        .execute()
      return { more: true, after }
    })
    done.after?.()
    return done.more
  }

  const run = async (campaignId: string) => {
    while (await runBatch(campaignId));
  }

  return {
    run,
    job: defineJob({
      name: 'crm.run-campaign',
      payload: z.object({ campaignId: z.string() }),
      retryLimit: 10,
      retryDelaySeconds: 30,
      handler: ({ campaignId }) => run(campaignId),
    }),
  }
}

const setRecipient = (
  trx: Kysely<CrmTables>,
  campaignId: string,
  contactId: string,
  set: Partial<Pick<CampaignRecipientRow, 'state' | 'reason' | 'messageId' | 'queuedAt'>>,
) =>
  trx
    .updateTable('crmCampaignRecipients')
    .set(set)
    .where('campaignId', '=', campaignId)
    .where('contactId', '=', contactId)
    .execute()
