import type { Kysely } from 'kysely'
import type { IdentityTables } from './identity.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ApiToken } from './identity.tables.ts'
import { hashToken, newSecretToken } from '../../platform/crypto/tokens.ts'
import type { RequestAuth, RequestMeta } from '../../platform/http/request-context.ts'
import type { ApiTokenDto } from '../../../contracts/identity.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { tokenErrors } from './identity.errors.ts'
import { apiTokens } from './identity.repository.ts'
import { createWhoCache, type Invalidations } from '../../platform/cache/who-cache.ts'

export const TOKEN_PREFIX = 'cmr_'
const TOUCH_INTERVAL_MS = 60_000
/** How long a process trusts a cached token without news from the database (invalidations are immediate). */
const CACHE_TTL_MS = 60_000

const toDto = (t: ApiToken): ApiTokenDto => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt.toISOString(),
  workspaceId: t.workspaceId,
  clientId: t.clientId,
  expiresAt: t.expiresAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
})

/** Personal API tokens: shown once, stored as a SHA-256 hash, revocable, sent as `Authorization: Bearer`. */
export type TokenBindingCheck = (
  userId: string,
  binding: { workspaceId?: string; clientId?: string },
) => Promise<{ workspaceId: string | null; clientId: string | null }>

export const createTokenService = ({
  db,
  audit,
  invalidations,
  now = () => new Date(),
}: {
  db: Kysely<IdentityTables>
  audit: AuditService
  invalidations: Invalidations
  now?: () => Date
}) => {
  /** Token hash → its row, in every process; a revoked, re-bound or deleted token is dropped at commit (ADR 0009). */
  const cache = createWhoCache<NonNullable<Awaited<ReturnType<typeof apiTokens.findUsable>>>>(invalidations, {
    tagsOf: (_hash, t) => [`token:${t.id}`],
    ttlMs: CACHE_TTL_MS,
    max: 10_000,
  })
  return {
    /** `binding` has been checked by the caller (the tenancy scope: the user must be a member there). */
    async create(
      userId: string,
      body: { name: string; expiresInDays?: number },
      binding: { workspaceId: string | null; clientId: string | null },
      meta: RequestMeta,
    ) {
      const token = newSecretToken(TOKEN_PREFIX)
      const expiresAt = body.expiresInDays ? new Date(now().getTime() + body.expiresInDays * 86_400_000) : null
      const row = await db.transaction().execute(async (trx) => {
        const inserted = await apiTokens.insert(trx, {
          id: newId('tok'),
          userId,
          name: body.name,
          tokenHash: hashToken(token),
          prefix: token.slice(0, 10),
          expiresAt,
          ...binding,
        })
        await audit.record(trx, {
          action: 'token.created',
          actorUserId: userId,
          subjectUserId: userId,
          targetType: 'api_token',
          targetId: inserted.id,
          ip: meta.ip,
          metadata: { name: body.name },
        })
        return inserted
      })
      return { token, apiToken: toDto(row) }
    },

    list: async (userId: string) => (await apiTokens.list(db, userId)).map(toDto),

    async revoke(userId: string, id: string, meta: RequestMeta) {
      await db.transaction().execute(async (trx) => {
        const revoked = await apiTokens.revoke(trx, userId, id, now())
        if (!revoked) {
          if (await apiTokens.findOwned(trx, userId, id)) return // already revoked: revoking again is a no-op
          throw tokenErrors.not_found()
        }
        await audit.record(trx, {
          action: 'token.revoked',
          actorUserId: userId,
          subjectUserId: userId,
          targetType: 'api_token',
          targetId: id,
          ip: meta.ip,
        })
      })
    },

    /** `since`: the request's arrival (see `WhoCache.get`). */
    async authenticate(bearer: string, since?: number): Promise<RequestAuth | null> {
      if (!bearer.startsWith(TOKEN_PREFIX)) return null
      const hash = hashToken(bearer)
      const at = now()
      let t = await cache.get(hash, () => apiTokens.findUsable(db, hash, at), since)
      if (t?.expiresAt && t.expiresAt <= at) {
        cache.drop(hash)
        t = undefined
      }
      if (!t) return null
      // Last use is recorded at most once a minute per process, so a busy token costs no write per request.
      if (!t.lastUsedAt || at.getTime() - t.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
        t.lastUsedAt = at
        await apiTokens.touch(db, t.id, at)
      }
      return { via: 'token', userId: t.userId, tokenId: t.id, workspaceId: t.workspaceId, clientId: t.clientId }
    },
  }
}
export type TokenService = ReturnType<typeof createTokenService>
