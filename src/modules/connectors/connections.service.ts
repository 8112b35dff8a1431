import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { ConnectionDto } from '../../../contracts/connectors.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { Handle } from '../../platform/db/database.ts'
import { own } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import { connectorsErrors } from './connectors.errors.ts'
import type { ConnectionRow, ConnectorsTables } from './connectors.tables.ts'
import type { GoogleTokens } from './google-oauth.ts'
import { statusError, tokenOwner } from './tokens.ts'

export const toDto = (r: ConnectionRow): ConnectionDto => ({
  id: r.id,
  clientId: r.clientId,
  provider: r.provider,
  status: r.status,
  statusReason: r.statusReason,
  scopes: r.scopes.split(' ').filter(Boolean),
  ads: r.adsCustomerId
    ? { customerId: r.adsCustomerId, loginCustomerId: r.adsLoginCustomerId, name: r.adsCustomerName }
    : null,
  analytics: r.analyticsPropertyId ? { propertyId: r.analyticsPropertyId, name: r.analyticsPropertyName } : null,
  connectedAt: r.connectedAt.toISOString(),
  lastRefreshedAt: r.lastRefreshedAt?.toISOString() ?? null,
  disconnectedAt: r.disconnectedAt?.toISOString() ?? null,
})

/** The tenant a connection belongs to (a client of a workspace): every read and write names both. */
export type ClientRef = Pick<ClientScope, 'workspaceId' | 'clientId'>

/** A client's Google connections: saved from a consent, listed, read, pointed at an account, disconnected. */
export const createConnections = ({
  db,
  box,
  audit,
  entitlements,
  now = () => new Date(),
}: {
  db: Kysely<ConnectorsTables>
  box: SecretBox
  audit: AuditService
  entitlements: Entitlements
  now?: () => Date
}) => {
  const find = async (client: ClientRef, id: string, h: Kysely<ConnectorsTables> = db) => {
    const row = await h
      .selectFrom('connectorConnections')
      .selectAll()
      .where('workspaceId', '=', client.workspaceId)
      .where('clientId', '=', client.clientId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw connectorsErrors.not_found()
    return row
  }
  const live = (client: ClientRef, h: Kysely<ConnectorsTables>) =>
    h
      .selectFrom('connectorConnections')
      .selectAll()
      .where('workspaceId', '=', client.workspaceId)
      .where('clientId', '=', client.clientId)
      .where('provider', '=', 'google')
      .where('status', '<>', 'disconnected')
      .forUpdate()
      .executeTakeFirst()

  const sealed = (id: string, tokens: GoogleTokens, at: Date) => ({
    accessToken: box.seal(tokens.accessToken, tokenOwner(id, 'access')),
    accessTokenExpiresAt: new Date(at.getTime() + tokens.expiresIn * 1000),
    scopes: tokens.scope ?? '',
  })

  return {
    find,
    /** The client a connection belongs to, for the route's scope check (undefined: no such connection). */
    clientOf: async (id: string) =>
      (await db.selectFrom('connectorConnections').select('clientId').where('id', '=', id).executeTakeFirst())
        ?.clientId,

    list: async (client: ClientRef) => ({
      items: (
        await db
          .selectFrom('connectorConnections')
          .selectAll()
          .where('workspaceId', '=', client.workspaceId)
          .where('clientId', '=', client.clientId)
          .orderBy('createdAt', 'desc')
          .orderBy('id', 'desc')
          .limit(100)
          .execute()
      ).map(toDto),
    }),

    /** May this client's admin connect Google (a reconnect of a live connection never counts against the plan)? */
    async checkCanConnect(client: ClientRef) {
      await db.transaction().execute(async (trx) => {
        if (await live(client, trx)) return
        await entitlements.check(trx, client.workspaceId, 'connectors')
      })
    },

    /**
     * Saves a consent's tokens: the client's live connection gets them (a reconnect), or a new connection is made
     * within the plan's connectors (under the workspace row lock, so two consents cannot both take the last slot).
     */
    async saveGrant(scope: ClientScope, tokens: GoogleTokens, meta: RequestMeta) {
      if (!tokens.refreshToken)
        throw connectorsErrors.google_failed({ status: 'NO_REFRESH_TOKEN', problem: 'Google gave no refresh token.' })
      const at = now()
      return db.transaction().execute(async (trx) => {
        let existing = await live(scope, trx)
        if (!existing) {
          await entitlements.check(trx, scope.workspaceId, 'connectors')
          existing = await live(scope, trx)
        }
        if (existing) {
          const row = await trx
            .updateTable('connectorConnections')
            .set({
              ...sealed(existing.id, tokens, at),
              refreshToken: box.seal(tokens.refreshToken!, tokenOwner(existing.id, 'refresh')),
              status: 'connected',
              statusReason: null,
              tokenVersion: existing.tokenVersion + 1,
              refreshOwner: null,
              refreshLeaseUntil: null,
              connectedAt: at,
              updatedAt: at,
            })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow()
          await record(trx, scope, 'connector.reconnected', row.id, meta)
          return row
        }
        const id = newId('conn')
        const row = await trx
          .insertInto('connectorConnections')
          .values({
            id,
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            provider: 'google',
            status: 'connected',
            ...sealed(id, tokens, at),
            refreshToken: box.seal(tokens.refreshToken!, tokenOwner(id, 'refresh')),
            createdBy: scope.userId,
            connectedAt: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await record(trx, scope, 'connector.connected', id, meta)
        return row
      })
    },

    /**
     * Marks the connection disconnected (never deleted) with its refresh token kept sealed for the revoke that
     * follows the commit; the revoke clears it.
     */
    async disconnect(scope: ClientScope, id: string, meta: RequestMeta, enqueueRevoke: (trx: Handle) => Promise<void>) {
      return db.transaction().execute(async (trx) => {
        const row = await find(scope, id, trx)
        if (row.status === 'disconnected') throw connectorsErrors.not_connected()
        const at = now()
        const updated = await trx
          .updateTable('connectorConnections')
          .set({
            status: 'disconnected',
            statusReason: null,
            accessToken: null,
            accessTokenExpiresAt: null,
            revokePending: row.refreshToken !== null,
            disconnectedAt: at,
            updatedAt: at,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await record(trx, scope, 'connector.disconnected', id, meta)
        if (row.refreshToken) await enqueueRevoke(trx)
        return updated
      })
    },

    /** The refresh token of a disconnected connection still to be revoked (undefined when done). */
    async pendingRevoke(id: string) {
      const row = await db.selectFrom('connectorConnections').selectAll().where('id', '=', id).executeTakeFirst()
      if (!row?.revokePending || !row.refreshToken) return undefined
      return box.open(row.refreshToken, tokenOwner(id, 'refresh'))
    },
    async revoked(id: string) {
      await db
        .updateTable('connectorConnections')
        .set({ revokePending: false, refreshToken: null, updatedAt: now() })
        .where('id', '=', id)
        .where('status', '=', 'disconnected')
        .execute()
    },

    /** Points the connection at an account or a property (each checked against Google by the caller). */
    async pick(
      scope: ClientScope,
      id: string,
      set:
        | { adsCustomerId: string; adsLoginCustomerId: string | null; adsCustomerName: string | null }
        | { analyticsPropertyId: string; analyticsPropertyName: string | null },
      meta: RequestMeta,
    ) {
      return db.transaction().execute(async (trx) => {
        const row = await find(scope, id, trx)
        if (row.status !== 'connected') throw statusError(row)
        const updated = await trx
          .updateTable('connectorConnections')
          .set({ ...set, updatedAt: now() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        const ads = 'adsCustomerId' in set
        await record(
          trx,
          scope,
          ads ? 'connector.ads_account_picked' : 'connector.analytics_property_picked',
          id,
          meta,
          set,
        )
        return updated
      })
    },
  }

  function record(
    trx: Handle,
    scope: ClientScope,
    action:
      | 'connector.connected'
      | 'connector.reconnected'
      | 'connector.disconnected'
      | 'connector.ads_account_picked'
      | 'connector.analytics_property_picked',
    id: string,
    meta: RequestMeta,
    extra: Record<string, unknown> = {},
  ) {
    return audit.record(trx, {
      action,
      workspaceId: scope.workspaceId,
      actorUserId: scope.userId,
      targetType: 'connector',
      targetId: id,
      ip: meta.ip,
      metadata: { clientId: scope.clientId, provider: 'google', ...extra },
    })
  }
}
export type Connections = ReturnType<typeof createConnections>

/** What connectors count against a plan: the workspace's connections that are not disconnected. */
export const connectorsUsage = {
  connectors: (handle: Handle, workspaceId: string) =>
    own<ConnectorsTables>(handle)
      .selectFrom('connectorConnections')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspaceId', '=', workspaceId)
      .where('status', '<>', 'disconnected')
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n)),
}

export const newNonce = () => randomBytes(24).toString('base64url')
