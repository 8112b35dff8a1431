import type { Kysely } from 'kysely'
import type { ChannelCreate, ChannelDto } from '../../../contracts/channels.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import { channelsErrors } from './channels.errors.ts'
import type { ChannelRow, ChannelsTables } from './channels.tables.ts'
import type { Sessions } from './sessions.ts'

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
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  audit: AuditService
  entitlements: Entitlements
  sessions: Sessions
}) => {
  const find = async (scope: ClientScope, id: string) => {
    const row = await db
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
        await trx.insertInto('channelSessions').values({ channelId: id }).execute()
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

    clientOf: async (id: string) =>
      (await db.selectFrom('channels').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,
  }
}
export type ChannelsService = ReturnType<typeof createChannelsService>
