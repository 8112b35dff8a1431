import type { Kysely } from 'kysely'
import type { CampaignStats, RecipientDto, RecipientQuery, RecipientState } from '../../../contracts/crm-campaigns.ts'
import type { Handle } from '../../platform/db/database.ts'
import { decodeCursor, encodeCursor } from '../../platform/db/pagination.ts'
import type { CampaignRecipientRow, CampaignRow, CrmTables, SkipReason } from './crm.tables.ts'

/** The inbox's delivery statuses of a client's messages by id (`messageStatuses`): read at read time, join-free. */
export type StatusReader = (
  h: Handle,
  clientId: string,
  ids: string[],
) => Promise<Map<string, { status: string; error: { code: string; message: string } | null }>>

type Delivery = 'queued' | 'sent' | 'delivered' | 'read' | 'failed'
const DELIVERY = new Set<string>(['queued', 'sent', 'delivered', 'read', 'failed'])

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0

/**
 * What a campaign's recipients became. The CRM stores whether each was queued (and its outbox message); what the
 * message did next (sent, delivered, read, failed) is the inbox's, read for the recipients asked about — the page's, or
 * a campaign's queued ones for its statistics (at most 10,000) — never copied, so it cannot drift.
 */
export const createRecipientReader = ({ db, statuses }: { db: Kysely<CrmTables>; statuses: StatusReader }) => {
  const deliveryOf = (s: string | undefined): Delivery => (s && DELIVERY.has(s) ? (s as Delivery) : 'queued')

  const queuedOf = (campaignId: string) =>
    db
      .selectFrom('crmCampaignRecipients')
      .select(['seq', 'messageId'])
      .where('campaignId', '=', campaignId)
      .where('state', '=', 'queued')
      .orderBy('seq')
      .execute()

  const dto = (
    r: CampaignRecipientRow,
    s: { status: string; error: { code: string; message: string } | null } | undefined,
  ): RecipientDto => ({
    contactId: r.contactId,
    name: r.name,
    address: r.address,
    state: r.state === 'queued' ? deliveryOf(s?.status) : r.state,
    reason: r.reason,
    messageId: r.messageId,
    error: r.state === 'queued' ? (s?.error ?? null) : null,
    queuedAt: r.queuedAt?.toISOString() ?? null,
  })

  return {
    async stats(c: CampaignRow): Promise<CampaignStats> {
      const counts = await db
        .selectFrom('crmCampaignRecipients')
        .select((eb) => ['state', 'reason', eb.fn.countAll<string>().as('n')])
        .where('campaignId', '=', c.id)
        .groupBy(['state', 'reason'])
        .execute()
      const stats: CampaignStats = {
        total: 0,
        pending: 0,
        queued: 0,
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        skipped: 0,
        skippedBy: {},
      }
      for (const r of counts) {
        const n = Number(r.n)
        stats.total += n
        if (r.state === 'pending') stats.pending += n
        if (r.state === 'skipped') {
          stats.skipped += n
          const reason = (r.reason ?? 'cancelled') as SkipReason
          stats.skippedBy[reason] = (stats.skippedBy[reason] ?? 0) + n
        }
      }
      const queued = await queuedOf(c.id)
      const found = await statuses(
        db,
        c.clientId,
        queued.flatMap((q) => (q.messageId ? [q.messageId] : [])),
      )
      for (const q of queued) stats[deliveryOf(q.messageId ? found.get(q.messageId)?.status : undefined)]++
      return stats
    },

    /** Recipients in campaign order, paged; `state` filters (a delivery state is read from the inbox). */
    async page(c: CampaignRow, q: RecipientQuery) {
      const after = q.cursor ? decodeCursor(q.cursor, isSeq) : -1
      let seqs: number[] | null = null
      if (q.state && q.state !== 'pending' && q.state !== 'skipped') {
        const wanted: RecipientState = q.state
        const queued = await queuedOf(c.id)
        const found = await statuses(
          db,
          c.clientId,
          queued.flatMap((r) => (r.messageId ? [r.messageId] : [])),
        )
        seqs = queued
          .filter(
            (r) => r.seq > after && deliveryOf(r.messageId ? found.get(r.messageId)?.status : undefined) === wanted,
          )
          .slice(0, q.limit + 1)
          .map((r) => r.seq)
        if (!seqs.length) return { items: [], nextCursor: null }
      }
      let query = db
        .selectFrom('crmCampaignRecipients')
        .selectAll()
        .where('campaignId', '=', c.id)
        .where('seq', '>', after)
      if (seqs) query = query.where('seq', 'in', seqs)
      else if (q.state) query = query.where('state', '=', q.state as 'pending' | 'skipped')
      const rows = await query
        .orderBy('seq')
        .limit(q.limit + 1)
        .execute()
      const items = rows.slice(0, q.limit)
      const found = await statuses(
        db,
        c.clientId,
        items.flatMap((r) => (r.messageId ? [r.messageId] : [])),
      )
      return {
        items: items.map((r) => dto(r, r.messageId ? found.get(r.messageId) : undefined)),
        nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!.seq) : null,
      }
    },
  }
}
