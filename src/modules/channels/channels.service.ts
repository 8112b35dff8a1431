import type { Kysely } from 'kysely'
import type { FeatureGate } from '../features/features.module.ts'
import QRCode from 'qrcode'
import type { ChannelCreate, ChannelDto, ChannelQr } from '../../../contracts/channels.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import { channelsErrors } from './channels.errors.ts'
import type { ChannelRow, ChannelsTables } from './channels.tables.ts'
import type { Sessions } from './sessions.ts'
import { qrCommand } from './qr/supervisor.ts'

/** How long an unpaired number is kept running for someone to scan it (WhatsApp itself stops showing QRs sooner). */
export const QR_WAIT_MS = 3 * 60_000
/** WhatsApp shows a new QR about every 20 s. */
const QR_REFRESH_MS = 20_000
/** How long the API waits for the process driving a number to answer (a pairing code; letting go at a logout). */
const ANSWER_WAIT_MS = 10_000
const POLL_MS = 150
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const toDto = (r: ChannelRow): ChannelDto => ({
  id: r.id,
  clientId: r.clientId,
  name: r.name,
  kind: r.kind,
  status: r.status,
  statusReason: r.statusReason,
  phone: r.phone,
  cloud:
    r.kind === 'cloud'
      ? {
          phoneNumberId: r.cloudPhoneNumberId!,
          businessAccountId: r.cloudBusinessAccountId,
          tokenHint: r.cloudTokenHint ?? '…',
        }
      : null,
  lastSeenAt: r.lastSeenAt?.toISOString() ?? null,
  autoReply: { enabled: r.autoReplyEnabled, agentId: r.autoReplyAgentId },
  createdAt: r.createdAt.toISOString(),
})
const hintOf = (value: string) => `…${value.slice(-4)}`
/** The associated data of a Cloud number's sealed token: it opens only on its own row. */
export const tokenOwner = (channelId: string) => `channel:${channelId}:cloud-token`

/** A client's numbers: add (plan-limited), list, read, log out. Never deleted: their messages point at them. */
export const createChannelsService = ({
  db,
  box,
  audit,
  entitlements,
  sessions,
  bus,
  features,
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  audit: AuditService
  entitlements: Entitlements
  sessions: Sessions
  bus: Bus
  features: FeatureGate
}) => {
  const wake = () => qrCommand(bus, { type: 'wake' })
  const session = (id: string) =>
    db.selectFrom('channelSessions').selectAll().where('channelId', '=', id).executeTakeFirstOrThrow()
  /** Polls the number's session row until `done` holds or the wait is over; the last row read. */
  const waitFor = async (id: string, done: (row: Awaited<ReturnType<typeof session>>) => boolean) => {
    const until = Date.now() + ANSWER_WAIT_MS
    for (;;) {
      const row = await session(id)
      if (done(row) || Date.now() >= until) return row
      await sleep(POLL_MS)
    }
  }
  const qrOnly = (row: ChannelRow) => {
    if (row.kind !== 'qr') throw channelsErrors.not_qr()
    return row
  }

  const find = async (scope: ClientScope, id: string, h: Kysely<ChannelsTables> = db) => {
    const row = await h
      .selectFrom('channels')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw channelsErrors.not_found()
    return row
  }

  return {
    async create(scope: ClientScope, body: ChannelCreate, meta: RequestMeta) {
      if (body.kind === 'qr') await features.require(scope.workspaceId, 'whatsapp_qr')
      const id = newId('ch')
      const row = await db.transaction().execute(async (trx) => {
        await entitlements.check(trx, scope.workspaceId, 'channelNumbers')
        if (body.kind === 'cloud') {
          const taken = await trx
            .selectFrom('channels')
            .select('id')
            .where('cloudPhoneNumberId', '=', body.phoneNumberId)
            .where('status', '<>', 'logged_out')
            .executeTakeFirst()
          if (taken) throw channelsErrors.cloud_number_taken()
        }
        const inserted = await trx
          .insertInto('channels')
          .values({
            id,
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            name: body.name,
            kind: body.kind,
            // A Cloud number is reachable as soon as Meta sends its webhooks; a QR number waits for its first scan.
            status: body.kind === 'cloud' ? 'connected' : 'pending_qr',
            cloudPhoneNumberId: body.kind === 'cloud' ? body.phoneNumberId : null,
            cloudBusinessAccountId: body.kind === 'cloud' ? (body.businessAccountId ?? null) : null,
            cloudToken: body.kind === 'cloud' ? box.seal(body.accessToken, tokenOwner(id)) : null,
            cloudTokenHint: body.kind === 'cloud' ? hintOf(body.accessToken) : null,
            createdBy: scope.userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        // A QR number is started at once for its first scan.
        await trx
          .insertInto('channelSessions')
          .values({ channelId: id, wantedUntil: body.kind === 'qr' ? new Date(Date.now() + QR_WAIT_MS) : null })
          .execute()
        await audit.record(trx, {
          action: 'channel.created',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'channel',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, kind: body.kind, name: body.name },
        })
        return inserted
      })
      if (row.kind === 'qr') await wake()
      return toDto(row)
    },

    list: async (scope: ClientScope, q: PageRequest) => {
      const page = await newestFirstPage(
        db
          .selectFrom('channels')
          .selectAll()
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId),
        q,
      )
      return { items: page.items.map(toDto), nextCursor: page.nextCursor }
    },

    get: async (scope: ClientScope, id: string) => toDto(await find(scope, id)),

    /**
     * Logs a number out here: a QR number's auth state is wiped and whoever drives it is fenced out (its next write is
     * refused), so it shows a new QR next time; a Cloud number stops sending and its token is kept sealed.
     */
    async logout(scope: ClientScope, id: string, meta: RequestMeta) {
      const found = await find(scope, id)
      if (found.kind === 'qr' && found.status !== 'logged_out') {
        // The process driving it tells WhatsApp first (the number leaves the phone's linked devices), then lets go;
        // whatever it does, the number is seized below and its keys deleted.
        await qrCommand(bus, { type: 'logout', channelId: id })
        await waitFor(id, (s) => s.owner === null)
      }
      const row = await db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('channels')
          .set({ status: 'logged_out', statusReason: 'Logged out from Camarad.', updatedAt: new Date() })
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .where('status', '<>', 'logged_out')
          .returningAll()
          .executeTakeFirst()
        if (!updated) return null
        await sessions.seize(trx, id)
        await trx
          .updateTable('channelSessions')
          .set({ qr: null, qrAt: null, pairingCode: null, wantedUntil: null })
          .where('channelId', '=', id)
          .execute()
        await trx.deleteFrom('channelAuth').where('channelId', '=', id).execute()
        await audit.record(trx, {
          action: 'channel.logged_out',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'channel',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, kind: updated.kind },
        })
        return updated
      })
      if (!row) {
        await find(scope, id) // 404 when it is not there
        throw channelsErrors.already_logged_out()
      }
      return toDto(row)
    },

    /** A QR number's current QR (text and SVG) and pairing code, while it waits for a scan. */
    async qr(scope: ClientScope, id: string): Promise<ChannelQr> {
      const row = qrOnly(await find(scope, id))
      const s = await session(id)
      const waiting = (row.status === 'pending_qr' || row.status === 'needs_qr') && s.qr !== null
      return {
        status: row.status,
        statusReason: row.statusReason,
        qr: waiting ? s.qr : null,
        svg: waiting ? await QRCode.toString(s.qr!, { type: 'svg', margin: 1, errorCorrectionLevel: 'L' }) : null,
        expiresAt: waiting && s.qrAt ? new Date(s.qrAt.getTime() + QR_REFRESH_MS).toISOString() : null,
        pairingCode: waiting ? s.pairingCode : null,
        waiting: s.wantedUntil !== null && s.wantedUntil.getTime() > Date.now(),
      }
    },

    /**
     * Shows a QR again (a number waiting for its first scan whose QRs ran out, one WhatsApp logged out, one that
     * failed, or one logged out here — counted against the plan again): the number is started for a scan.
     */
    async regenerateQr(scope: ClientScope, id: string, meta: RequestMeta) {
      await features.require(scope.workspaceId, 'whatsapp_qr')
      const row = await db.transaction().execute(async (trx) => {
        const current = qrOnly(await find(scope, id, trx))
        if (current.status === 'connected' || current.status === 'connecting') throw channelsErrors.already_connected()
        if (current.status === 'logged_out') await entitlements.check(trx, scope.workspaceId, 'channelNumbers')
        const at = new Date()
        const updated = await trx
          .updateTable('channels')
          .set({
            status: current.status === 'logged_out' || current.phone !== null ? 'needs_qr' : 'pending_qr',
            statusReason: null,
            updatedAt: at,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await trx
          .updateTable('channelSessions')
          .set({ qr: null, qrAt: null, pairingCode: null, wantedUntil: new Date(at.getTime() + QR_WAIT_MS) })
          .where('channelId', '=', id)
          .execute()
        await audit.record(trx, {
          action: 'channel.qr_requested',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'channel',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId },
        })
        return updated
      })
      await wake()
      return toDto(row)
    },

    /**
     * An 8-character code to type on the phone instead of scanning (Linked devices → Link with phone number), asked
     * of the process showing the number's QR.
     */
    async pairingCode(scope: ClientScope, id: string, phone: string) {
      await features.require(scope.workspaceId, 'whatsapp_qr')
      const row = qrOnly(await find(scope, id))
      const before = await session(id)
      if ((row.status !== 'pending_qr' && row.status !== 'needs_qr') || before.qr === null)
        throw channelsErrors.not_waiting_for_scan()
      await db.updateTable('channelSessions').set({ pairingCode: null }).where('channelId', '=', id).execute()
      await qrCommand(bus, { type: 'pair', channelId: id, phone })
      const after = await waitFor(id, (s) => s.pairingCode !== null)
      if (!after.pairingCode) throw channelsErrors.pairing_unavailable()
      return { code: after.pairingCode }
    },

    /** Asks the phone for older messages of the number's chats (QR numbers; they arrive as history, not unread). */
    async backfill(scope: ClientScope, id: string, meta: RequestMeta) {
      const row = await find(scope, id)
      if (row.kind !== 'qr') throw channelsErrors.backfill_unsupported()
      if (row.status !== 'connected') throw channelsErrors.not_connected()
      await qrCommand(bus, { type: 'backfill', channelId: id })
      await audit.record(db, {
        action: 'channel.backfill_requested',
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'channel',
        targetId: id,
        ip: meta.ip,
        metadata: { clientId: scope.clientId },
      })
    },

    clientOf: async (id: string) =>
      (await db.selectFrom('channels').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,
  }
}
export type ChannelsService = ReturnType<typeof createChannelsService>
