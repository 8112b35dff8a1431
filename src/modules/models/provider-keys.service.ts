import type { Kysely } from 'kysely'
import type { ModelsTables } from './models.tables.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { providerKeysErrors } from './models.errors.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { KeyProvider, ProviderKeyDto } from '../../../contracts/provider-keys.ts'
import type { Fetch, ProviderSettings } from './models.types.ts'

const owner = (workspaceId: string, provider: string) => `workspace:${workspaceId}:provider:${provider}`

/**
 * What a workspace's base URL goes through (the egress guard): `check` refuses it when saved if it is not an
 * http(s) URL without credentials whose name resolves to public addresses only; `fetch` makes every later call
 * through the same guard, so a name that resolves elsewhere after saving is refused then.
 */
export type AddressGuard = { check(url: string): Promise<void>; fetch: Fetch }

/** A workspace's own provider keys (bring your own key): sealed at rest, never returned, only a hint shown. */
export const createProviderKeyStore = ({
  db,
  box,
  guard,
}: {
  db: Kysely<ModelsTables>
  box: SecretBox
  guard: AddressGuard
}) => ({
  async list(scope: WorkspaceScope): Promise<ProviderKeyDto[]> {
    const rows = await db
      .selectFrom('providerKeys')
      .select(['provider', 'keyHint', 'baseUrl', 'models', 'updatedAt'])
      .where('workspaceId', '=', scope.workspaceId)
      .orderBy('provider')
      .execute()
    return rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() }))
  },

  async put(
    scope: WorkspaceScope,
    provider: KeyProvider,
    body: { apiKey: string; baseUrl?: string; models?: string[] },
  ) {
    if (provider === 'openai-compatible' && (!body.baseUrl || !body.models?.length))
      throw providerKeysErrors.base_url_required()
    if (body.baseUrl) await guard.check(body.baseUrl)
    const row = {
      sealedKey: box.seal(body.apiKey, owner(scope.workspaceId, provider)),
      keyHint: body.apiKey.slice(-4),
      baseUrl: body.baseUrl ?? null,
      models: JSON.stringify(body.models ?? []),
      updatedBy: scope.userId,
      updatedAt: new Date(),
    }
    await db
      .insertInto('providerKeys')
      .values({ workspaceId: scope.workspaceId, provider, ...row })
      .onConflict((oc) => oc.columns(['workspaceId', 'provider']).doUpdateSet(row))
      .execute()
    return (await this.list(scope)).find((k) => k.provider === provider)!
  },

  async remove(scope: WorkspaceScope, provider: KeyProvider) {
    const res = await db
      .deleteFrom('providerKeys')
      .where('workspaceId', '=', scope.workspaceId)
      .where('provider', '=', provider)
      .executeTakeFirst()
    if (Number(res.numDeletedRows) === 0) throw providerKeysErrors.key_not_found()
  },

  /** Provider settings made of the workspace's keys, and a version that changes whenever they do. */
  /** `known(version)`: the caller already has settings for this version, so nothing needs decrypting. */
  async settingsFor(
    workspaceId: string,
    known?: (version: string) => boolean,
  ): Promise<{ version: string; overrides: Partial<ProviderSettings> }> {
    const rows = await db.selectFrom('providerKeys').selectAll().where('workspaceId', '=', workspaceId).execute()
    const version = rows
      .map((r) => `${r.provider}@${r.updatedAt.getTime()}`)
      .sort()
      .join(',')
    if (known?.(version)) return { version, overrides: {} }
    const overrides: Partial<ProviderSettings> = {}
    for (const r of rows) {
      const apiKey = box.open(r.sealedKey, owner(workspaceId, r.provider))
      // The provider's own public endpoint needs no guard; an address the workspace chose always goes through it.
      const through = r.baseUrl ? { baseURL: r.baseUrl, fetch: guard.fetch } : {}
      if (r.provider === 'openai-compatible')
        overrides.openaiCompatible = { baseURL: r.baseUrl!, apiKey, models: r.models, fetch: guard.fetch }
      else overrides[r.provider] = { apiKey, ...through }
    }
    return { version, overrides }
  },
})
export type ProviderKeyStore = ReturnType<typeof createProviderKeyStore>
