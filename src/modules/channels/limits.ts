import type { Kysely } from 'kysely'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { channelsErrors } from './channels.errors.ts'
import type { ChannelsTables } from './channels.tables.ts'
import type { ChannelKind, ChannelStatus } from './driver.ts'

/**
 * How fast a number may send, by kind: a Cloud number at Meta's default throughput (80 messages a second, bursts of
 * a second's worth); a QR number like a person typing — a few a minute, spaced irregularly, and a daily cap on first
 * messages to people it never wrote to (what gets a paired number banned). A number's own setting replaces the rate
 * and the cap, never above the maximum.
 */
export const SEND_DEFAULTS = {
  cloud: { perMinute: 80 * 60, newContactsPerDay: null, jitter: 0 },
  qr: { perMinute: 6, newContactsPerDay: 200, jitter: 0.5 },
} as const
export const SEND_MAX = {
  cloud: { perMinute: 1000 * 60, newContactsPerDay: null },
  qr: { perMinute: 30, newContactsPerDay: 1000 },
} as const

export type SendLimits = {
  channelId: string
  kind: ChannelKind
  status: ChannelStatus
  /** Tokens a second the number's bucket refills with. */
  perSecond: number
  /** The most it may send at once after a pause. */
  burst: number
  /** Each send costs 1 ± jitter tokens (irregular spacing at the same mean rate). */
  jitter: number
  /** First messages to new contacts a UTC day; null: no cap. */
  newContactsPerDay: number | null
  /** Whether a WhatsApp Business Account is known (Cloud templates). */
  hasBusinessAccount: boolean
}

const limitsOf = (row: {
  id: string
  kind: ChannelKind
  status: ChannelStatus
  sendPerMinute: number | null
  newContactsPerDay: number | null
  cloudBusinessAccountId: string | null
}): SendLimits => {
  const d = SEND_DEFAULTS[row.kind]
  const max = SEND_MAX[row.kind]
  const perMinute = Math.min(row.sendPerMinute ?? d.perMinute, max.perMinute)
  const cap =
    max.newContactsPerDay === null
      ? null
      : Math.min(row.newContactsPerDay ?? d.newContactsPerDay!, max.newContactsPerDay)
  const perSecond = perMinute / 60
  return {
    channelId: row.id,
    kind: row.kind,
    status: row.status,
    perSecond,
    // Cloud: a quarter of a second's worth — sends arrive at Meta later than they leave the bucket and not all at
    // once, so a full second's burst overruns Meta's own bucket (130429); QR: one message, never a burst.
    burst: row.kind === 'cloud' ? Math.max(1, Math.floor(perSecond / 4)) : 1,
    jitter: d.jitter,
    newContactsPerDay: cap,
    hasBusinessAccount: row.cloudBusinessAccountId !== null,
  }
}

/**
 * The channels module's public face for the outbox: each number's sending limits, and a client's setting of them.
 * Readers outside the module see these shapes, never the `channels` table.
 */
export const createChannelLimits = ({ db, audit }: { db: Kysely<ChannelsTables>; audit: AuditService }) => {
  const select = () =>
    db
      .selectFrom('channels')
      .select(['id', 'kind', 'status', 'sendPerMinute', 'newContactsPerDay', 'cloudBusinessAccountId'])
  return {
    /** The limits of these numbers (unknown ids are left out). */
    async of(channelIds: string[]): Promise<Map<string, SendLimits>> {
      if (!channelIds.length) return new Map()
      const rows = await select().where('id', 'in', channelIds).execute()
      return new Map(rows.map((r) => [r.id, limitsOf(r)]))
    },
    async one(channelId: string) {
      return (await this.of([channelId])).get(channelId)
    },
    /** A client's own limits for one of its numbers (null: back to the default), bounded by the kind's maximum. */
    async set(
      scope: ClientScope,
      channelId: string,
      body: { perMinute?: number | null; newContactsPerDay?: number | null },
      meta: RequestMeta,
    ) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('channels')
          .set({
            ...(body.perMinute !== undefined ? { sendPerMinute: body.perMinute } : {}),
            ...(body.newContactsPerDay !== undefined ? { newContactsPerDay: body.newContactsPerDay } : {}),
            updatedAt: new Date(),
          })
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId)
          .where('id', '=', channelId)
          .returning(['id', 'kind', 'status', 'sendPerMinute', 'newContactsPerDay', 'cloudBusinessAccountId'])
          .executeTakeFirst()
        if (!row) throw channelsErrors.not_found()
        const applied = limitsOf(row)
        await audit.record(trx, {
          action: 'channel.limits_changed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'channel',
          targetId: channelId,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, ...body, perSecond: applied.perSecond },
        })
        return applied
      })
    },
  }
}
export type ChannelLimits = ReturnType<typeof createChannelLimits>
