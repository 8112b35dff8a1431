import { randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { connectorsErrors } from './connectors.errors.ts'
import type { ConnectionRow, ConnectorsTables } from './connectors.tables.ts'
import { GoogleApiError } from './google-http.ts'
import { OAuthFailure, type GoogleOAuth } from './google-oauth.ts'

/** A token this close to its expiry is refreshed first. */
const EXPIRY_MARGIN_MS = 60_000
/** A refresh claimed by a process that died frees itself after this. */
const LEASE_MS = 30_000
const WAIT_STEP_MS = 50
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The associated data of a connection's sealed tokens: they open only on their own row. */
export const tokenOwner = (connectionId: string, kind: 'refresh' | 'access') => `connector:${connectionId}:${kind}`

export const statusError = (row: Pick<ConnectionRow, 'status'>) =>
  row.status === 'reconnect_required' ? connectorsErrors.reconnect_required() : connectorsErrors.not_connected()

/**
 * Access tokens of connections, refreshed single-flight: one promise per connection in this process, and across
 * processes a refresh lease claimed on the row (a conditional UPDATE, no transaction held while Google answers);
 * whoever does not hold it waits for the token version to move. `invalid_grant` turns the connection into
 * `reconnect_required` and is never retried.
 */
export const createTokens = ({
  db,
  box,
  oauth,
  now = () => new Date(),
}: {
  db: Kysely<ConnectorsTables>
  box: SecretBox
  oauth: () => GoogleOAuth
  now?: () => Date
}) => {
  const inflight = new Map<string, Promise<string>>()
  const processTag = randomBytes(6).toString('hex')

  const read = (id: string) =>
    db.selectFrom('connectorConnections').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const fresh = (row: ConnectionRow) =>
    row.status === 'connected' &&
    row.accessToken !== null &&
    row.accessTokenExpiresAt !== null &&
    row.accessTokenExpiresAt.getTime() - EXPIRY_MARGIN_MS > now().getTime()
  const accessOf = (row: ConnectionRow) => box.open(row.accessToken!, tokenOwner(row.id, 'access'))

  /** Refreshes unless the row's tokens moved past `staleVersion` meanwhile (another process refreshed). */
  const refresh = async (id: string, staleVersion: number): Promise<string> => {
    const owner = `${processTag}:${randomBytes(6).toString('hex')}`
    const deadline = Date.now() + LEASE_MS + 5_000
    for (;;) {
      const claimed = await db
        .updateTable('connectorConnections')
        .set({ refreshOwner: owner, refreshLeaseUntil: new Date(now().getTime() + LEASE_MS) })
        .where('id', '=', id)
        .where('status', '=', 'connected')
        .where((eb) => eb.or([eb('refreshLeaseUntil', 'is', null), eb('refreshLeaseUntil', '<', sql<Date>`now()`)]))
        .returningAll()
        .executeTakeFirst()
      if (claimed) {
        if (claimed.tokenVersion > staleVersion && fresh(claimed)) {
          await release(id, owner)
          return accessOf(claimed)
        }
        return refreshHolding(claimed, owner)
      }
      const row = await read(id)
      if (row.status !== 'connected') throw statusError(row)
      if (row.tokenVersion > staleVersion && fresh(row)) return accessOf(row)
      if (Date.now() > deadline) throw connectorsErrors.unavailable({ retryAfter: 5 })
      await sleep(WAIT_STEP_MS)
    }
  }

  const release = (id: string, owner: string) =>
    db
      .updateTable('connectorConnections')
      .set({ refreshOwner: null, refreshLeaseUntil: null })
      .where('id', '=', id)
      .where('refreshOwner', '=', owner)
      .execute()

  const refreshHolding = async (row: ConnectionRow, owner: string) => {
    if (!row.refreshToken) throw connectorsErrors.reconnect_required()
    let tokens
    try {
      tokens = await oauth().refresh(box.open(row.refreshToken, tokenOwner(row.id, 'refresh')))
    } catch (err) {
      if (err instanceof OAuthFailure && err.kind === 'invalid_grant') {
        await db
          .updateTable('connectorConnections')
          .set({
            status: 'reconnect_required',
            statusReason: `Google refused the refresh token (${err.message.slice(0, 200)}).`,
            refreshOwner: null,
            refreshLeaseUntil: null,
            accessToken: null,
            accessTokenExpiresAt: null,
            updatedAt: now(),
          })
          .where('id', '=', row.id)
          .where('refreshOwner', '=', owner)
          .execute()
        throw connectorsErrors.reconnect_required()
      }
      await release(row.id, owner)
      throw connectorsErrors.unavailable({ retryAfter: 30 })
    }
    const at = now()
    const written = await db
      .updateTable('connectorConnections')
      .set({
        accessToken: box.seal(tokens.accessToken, tokenOwner(row.id, 'access')),
        accessTokenExpiresAt: new Date(at.getTime() + tokens.expiresIn * 1000),
        // Google may rotate the refresh token: the new one is kept, in the same write as the access token.
        ...(tokens.refreshToken ? { refreshToken: box.seal(tokens.refreshToken, tokenOwner(row.id, 'refresh')) } : {}),
        tokenVersion: sql<number>`token_version + 1`,
        refreshOwner: null,
        refreshLeaseUntil: null,
        lastRefreshedAt: at,
        updatedAt: at,
      })
      .where('id', '=', row.id)
      .where('refreshOwner', '=', owner)
      .where('status', '=', 'connected')
      .executeTakeFirst()
    // The lease ran out under us and someone else took over (or a disconnect happened): theirs is the truth.
    if (Number(written.numUpdatedRows) === 0) {
      const now2 = await read(row.id)
      if (now2.status !== 'connected') throw statusError(now2)
    }
    return tokens.accessToken
  }

  /** A valid access token for a connected connection (its row read fresh), refreshed when needed. */
  const accessToken = async (id: string, options: { staleVersion?: number } = {}) => {
    const row = await read(id)
    if (row.status !== 'connected') throw statusError(row)
    if (options.staleVersion === undefined && fresh(row)) return { token: accessOf(row), version: row.tokenVersion }
    const version = options.staleVersion ?? row.tokenVersion
    let p = inflight.get(id)
    if (!p) {
      p = refresh(id, version).finally(() => inflight.delete(id))
      inflight.set(id, p)
    }
    return { token: await p, version: version + 1 }
  }

  return {
    accessToken,
    /**
     * Calls Google with the connection's token; a 401 (the token was revoked or expired early) refreshes once and
     * tries again.
     */
    async withToken<T>(id: string, call: (accessToken: string) => Promise<T>): Promise<T> {
      const first = await accessToken(id)
      try {
        return await call(first.token)
      } catch (err) {
        if (!(err instanceof GoogleApiError) || err.httpStatus !== 401) throw err
        const again = await accessToken(id, { staleVersion: first.version })
        return call(again.token)
      }
    },
  }
}
export type Tokens = ReturnType<typeof createTokens>
