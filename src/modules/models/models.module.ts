import { embedMany, type LanguageModel } from 'ai'
import type { Config } from '../../config.ts'
import type { AppError } from '../../platform/http/errors.ts'
import {
  buildCatalog,
  embeddingsEntryFor,
  KNOWN_EMBEDDING_MODELS,
  KNOWN_MODELS,
  OFFLINE_MODEL_ID,
} from './models.catalog.ts'
import { describeProviderError, modelsErrors } from './models.errors.ts'
import { createEmbeddingModel, createProviderFactories } from './models.providers.ts'
import type { FastifyInstance } from 'fastify'
import { createWhoCache, type Invalidations } from '../../platform/cache/who-cache.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { modelsRoutes } from './models.routes.ts'
import { providerKeyRoutes } from './provider-keys.routes.ts'
import type { ProviderKeyStore } from './provider-keys.service.ts'
import type { CatalogEntry, Fetch, ModelTier, ProviderSettings } from './models.types.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import { createModelCallMetrics } from './models.metrics.ts'

export type { CatalogEntry, ModelTier, ProviderName, ProviderSettings } from './models.types.ts'
export { OFFLINE_MODEL_ID }
export {
  recordModelCall,
  recordedCall,
  spendOf,
  usageReports,
  type ModelCallCharge,
  type ModelCallRecord,
  type SpendGroup,
} from './model-calls.repository.ts'
export { normalizeUsage, type NormalizedUsage } from './usage.ts'
export { createProviderKeyStore, type AddressGuard, type ProviderKeyStore } from './provider-keys.service.ts'

/**
 * Where an OpenAI Chat Completions request for a catalog entry goes, for a caller that relays the request as it came
 * instead of going through the AI SDK. `url` is `{baseURL}/chat/completions`; `headers()` authenticates the call (the
 * key lives only there: the object prints none, so logging it leaks nothing); `fetch` is set when the address is one
 * a workspace chose and every call must go through the egress guard.
 */
export type OpenAiEndpoint = Readonly<{ url: string; fetch?: Fetch; headers: () => Record<string, string> }>

const OPENAI_BASE_URL = 'https://api.openai.com/v1'
const openAiEndpointOf = (
  s: { apiKey?: string; baseURL?: string; fetch?: Fetch } | undefined,
  defaultBaseURL?: string,
): OpenAiEndpoint | undefined => {
  const baseURL = s && (s.baseURL ?? defaultBaseURL)
  if (!s || !baseURL) return undefined
  const authorization = s.apiKey ? `Bearer ${s.apiKey}` : undefined
  return Object.freeze({
    // As the AI SDK builds it: a trailing slash on the base URL is dropped.
    url: `${baseURL.replace(/\/$/, '')}/chat/completions`,
    ...(s.fetch ? { fetch: s.fetch } : {}),
    headers: (): Record<string, string> => (authorization ? { authorization } : {}),
  })
}

/** Builds settings from the validated Config (src/config.ts): a provider is configured when its key (or base URL for openai-compatible) is set. */
export const providerSettingsFrom = (config: Config): ProviderSettings => {
  const keyed = (apiKey: string | undefined, baseURL: string | undefined) => (apiKey ? { apiKey, baseURL } : undefined)
  return {
    openai: keyed(config.OPENAI_API_KEY, config.OPENAI_BASE_URL),
    anthropic: keyed(config.ANTHROPIC_API_KEY, config.ANTHROPIC_BASE_URL),
    google: keyed(config.GOOGLE_GENERATIVE_AI_API_KEY, config.GOOGLE_GENERATIVE_AI_BASE_URL),
    groq: keyed(config.GROQ_API_KEY, config.GROQ_BASE_URL),
    openaiCompatible: config.OPENAI_COMPATIBLE_BASE_URL
      ? {
          baseURL: config.OPENAI_COMPATIBLE_BASE_URL,
          apiKey: config.OPENAI_COMPATIBLE_API_KEY,
          models: config.OPENAI_COMPATIBLE_MODELS,
        }
      : undefined,
    offlineChunkDelayMs: config.OFFLINE_MODEL_CHUNK_DELAY_MS,
    embeddingsModel: config.EMBEDDINGS_MODEL,
  }
}

/** The model catalog and ready-to-call AI SDK models for one set of provider settings. */
export const createModelSet = (settings: ProviderSettings, ownProviders: ReadonlySet<string> = new Set()) => {
  // Frozen so a caller cannot change prices or limits that metering relies on.
  const entries = buildCatalog(settings).map((e) =>
    Object.freeze({ ...e, pricePerMillion: Object.freeze({ ...e.pricePerMillion }) }),
  )
  const byId = new Map(entries.map((e) => [e.id, e]))
  const factories = createProviderFactories(settings)
  const models = new Map<string, LanguageModel>()
  const secrets = [
    settings.openai,
    settings.anthropic,
    settings.google,
    settings.groq,
    settings.openaiCompatible,
  ].flatMap((s) => (s?.apiKey ? [s.apiKey] : []))
  const endpoints: Partial<Record<string, OpenAiEndpoint>> = {
    openai: openAiEndpointOf(settings.openai, OPENAI_BASE_URL),
    'openai-compatible': openAiEndpointOf(settings.openaiCompatible),
  }
  const embeddings = embeddingsEntryFor(settings)
  const embeddingModel = embeddings && createEmbeddingModel(settings, embeddings.provider, embeddings.modelId)

  return {
    /** Entries of configured providers, then the offline model (always present, last). */
    catalog: (): CatalogEntry[] => [...entries],
    find: (id: string): CatalogEntry | undefined => byId.get(id),
    /** `workspace` when the call runs on the workspace's own provider key (it pays the provider; we charge no credits). */
    billedBy: (entry: CatalogEntry): 'camarad' | 'workspace' =>
      ownProviders.has(entry.provider) ? 'workspace' : 'camarad',
    /** A ready AI SDK LanguageModel for a catalog id; throws AppError 400 `model.unknown` for an id not in the catalog. */
    languageModel(id: string): LanguageModel {
      const entry = byId.get(id)
      const factory = entry && factories[entry.provider]
      if (!entry || !factory) throw modelsErrors.unknown({ id })
      const model = models.get(id) ?? factory(entry.modelId)
      models.set(id, model)
      return model
    },
    /**
     * For an entry of this set whose provider speaks OpenAI Chat Completions (`openai`, `openai-compatible`): where
     * to send the request and with which key (the workspace's own when it has one). Undefined for other providers.
     */
    openAiEndpoint: (entry: CatalogEntry): OpenAiEndpoint | undefined =>
      byId.get(entry.id) ? endpoints[entry.provider] : undefined,
    /**
     * The first configured non-offline model of the tier (standard by default); failing that, any configured
     * model, because a working provider beats the offline model; the offline model only when none is configured.
     */
    defaultModelId: (tier: ModelTier = 'standard'): string =>
      (entries.find((e) => !e.offline && e.tier === tier) ?? entries.find((e) => !e.offline))?.id ?? OFFLINE_MODEL_ID,
    /**
     * Turns a provider failure (APICallError, RetryError, a stream error, anything) into an AppError:
     * 401/403 → 502 `model.provider_unauthorized` naming the key's variable; 429 → 503 `model.provider_rate_limited`
     * with Retry-After when known; 5xx or network → 502 `model.provider_unavailable`; a prompt over the context
     * window → 400 `model.context_too_long`; else 502 `model.provider_error`. Configured keys never appear in it.
     */
    describeError: (err: unknown, entry: CatalogEntry): AppError => describeProviderError(err, entry, secrets),
    /**
     * The entry embeddings are metered with (OpenAI-compatible `/embeddings`: OpenAI, or an OpenAI-compatible server
     * with `EMBEDDINGS_MODEL`); undefined when no configured provider offers embeddings (the offline model has none).
     */
    embeddingsModel: (): CatalogEntry | undefined => embeddings,
    /**
     * One vector per text, in order, with the input tokens the provider reported (0 when it reported none). A
     * provider failure is thrown as `describeError` words it; with no embeddings model, 400 `model.unknown`.
     */
    async embed(texts: string[]): Promise<{ vectors: number[][]; tokens: number }> {
      if (!embeddings || !embeddingModel) throw modelsErrors.unknown({ id: 'embeddings' })
      try {
        const { embeddings: vectors, usage } = await embedMany({
          model: embeddingModel,
          values: texts,
          maxRetries: 1,
          abortSignal: AbortSignal.timeout(60_000),
        })
        return { vectors, tokens: usage?.tokens ?? 0 }
      } catch (err) {
        throw describeProviderError(err, embeddings, secrets)
      }
    },
  }
}
export type ModelSet = ReturnType<typeof createModelSet>

/**
 * The server's models, and each workspace's: the server's providers with the workspace's own keys (bring
 * your own key) taking precedence. A workspace's set is rebuilt only when its keys change.
 */
export const createModelsModule = (
  settings: ProviderSettings,
  deps?: { keys: ProviderKeyStore; scope: ScopeResolver; invalidations: Invalidations },
) => {
  const server = createModelSet(settings)
  const built = new Map<string, { version: string; set: ModelSet }>()
  const load = async (workspaceId: string): Promise<ModelSet> => {
    const hit = built.get(workspaceId)
    const { version, overrides } = await deps!.keys.settingsFor(workspaceId, (v) => v === hit?.version)
    if (!version) return server
    if (hit?.version === version) return hit.set
    const own = new Set(Object.keys(overrides).map((k) => (k === 'openaiCompatible' ? 'openai-compatible' : k)))
    const set = createModelSet({ ...settings, ...overrides }, own)
    built.set(workspaceId, { version, set })
    return set
  }
  /** Workspace → its set, in every process; a key set, changed or removed drops it at commit (ADR 0009). */
  const sets =
    deps && createWhoCache<ModelSet>(deps.invalidations, { tagsOf: (id) => [`keys:${id}`], ttlMs: 60_000, max: 10_000 })
  /** `since`: the request's arrival (see `WhoCache.get`). */
  const forWorkspace = async (workspaceId: string, since?: number): Promise<ModelSet> =>
    sets ? (await sets.get(workspaceId, () => load(workspaceId), since))! : server
  const embeddings = server.embeddingsModel()
  const known = new Map(
    [...KNOWN_MODELS, ...KNOWN_EMBEDDING_MODELS, ...(embeddings ? [embeddings] : [])].map((e) => [e.id, e]),
  )
  const priceableModel = (id: string) => known.get(id) ?? server.find(id)
  const callMetrics = createModelCallMetrics(priceableModel)
  return {
    ...server,
    forWorkspace,
    /** Every model with a list price, configured here or not (a workspace may bring the key). */
    allModels: () => [...known.values(), ...server.catalog().filter((e) => !known.has(e.id))],
    /** A workspace's embeddings (its own OpenAI key first, else the server's): see `ModelSet.embed`. */
    embed: async (workspaceId: string, texts: string[]) => (await forWorkspace(workspaceId)).embed(texts),
    /** A model by id among all known ones: what a hold's model id is priced with. */
    priceableModel,
    /** Writes a call's usage record (`model_calls`, in the caller's transaction) and counts it for /metrics. */
    recordCall: callMetrics.recordCall,
    callStatement: callMetrics.callStatement,
    /** Prometheus: `camarad_model_calls_total` (provider, model, surface, outcome). */
    registerMetrics: callMetrics.register,
    routes: [
      async (app: FastifyInstance) => {
        await app.register(
          modelsRoutes(async (req) => {
            const workspaceId = req.headers['x-workspace-id'] || req.headers['x-client-id']
            if (!deps || !workspaceId) return server.catalog()
            return (await forWorkspace((await deps.scope.workspaceOrClient(req, 'viewer')).workspaceId)).catalog()
          }),
        )
        if (deps) await app.register(providerKeyRoutes({ keys: deps.keys, scope: deps.scope }))
      },
    ],
    jobs: [],
  } satisfies ModuleShape
}

export type ModelsModule = ReturnType<typeof createModelsModule>
