import type { LanguageModel } from 'ai'
import type { Config } from '../../config.ts'
import type { AppError } from '../../platform/http/errors.ts'
import { buildCatalog, OFFLINE_MODEL_ID } from './models.catalog.ts'
import { describeProviderError, unknownModel } from './models.errors.ts'
import { createProviderFactories } from './models.providers.ts'
import { modelsRoutes } from './models.routes.ts'
import type { CatalogEntry, ModelTier, ProviderSettings } from './models.types.ts'

export type { CatalogEntry, ModelTier, ProviderName, ProviderSettings } from './models.types.ts'
export { OFFLINE_MODEL_ID }
export { recordModelCall, type ModelCallRecord } from './model-calls.repository.ts'
export { normalizeUsage, type NormalizedUsage } from './usage.ts'

/** Builds settings from the validated Config (src/config.ts): a provider is configured when its key (or base URL for openai-compatible) is set. */
export const providerSettingsFrom = (config: Config): ProviderSettings => {
  const keyed = (apiKey: string | undefined, baseURL: string | undefined) => (apiKey ? { apiKey, baseURL } : undefined)
  return {
    openai: keyed(config.OPENAI_API_KEY, config.OPENAI_BASE_URL),
    anthropic: keyed(config.ANTHROPIC_API_KEY, config.ANTHROPIC_BASE_URL),
    google: keyed(config.GOOGLE_GENERATIVE_AI_API_KEY, config.GOOGLE_GENERATIVE_AI_BASE_URL),
    groq: keyed(config.GROQ_API_KEY, config.GROQ_BASE_URL),
    openaiCompatible: config.OPENAI_COMPATIBLE_BASE_URL
      ? { baseURL: config.OPENAI_COMPATIBLE_BASE_URL, apiKey: config.OPENAI_COMPATIBLE_API_KEY, models: config.OPENAI_COMPATIBLE_MODELS }
      : undefined,
    offlineChunkDelayMs: config.OFFLINE_MODEL_CHUNK_DELAY_MS,
  }
}

/** The model catalog and ready-to-call AI SDK models for the providers this server is configured with. */
export const createModelsModule = (settings: ProviderSettings) => {
  // Frozen so a caller cannot change prices or limits that metering relies on.
  const entries = buildCatalog(settings).map((e) => Object.freeze({ ...e, pricePerMillion: Object.freeze({ ...e.pricePerMillion }) }))
  const byId = new Map(entries.map((e) => [e.id, e]))
  const factories = createProviderFactories(settings)
  const models = new Map<string, LanguageModel>()
  const secrets = [settings.openai, settings.anthropic, settings.google, settings.groq, settings.openaiCompatible]
    .flatMap((s) => (s?.apiKey ? [s.apiKey] : []))

  return {
    /** Entries of configured providers, then the offline model (always present, last). */
    catalog: (): CatalogEntry[] => [...entries],
    find: (id: string): CatalogEntry | undefined => byId.get(id),
    /** A ready AI SDK LanguageModel for a catalog id; throws AppError 400 `model.unknown` for an id not in the catalog. */
    languageModel(id: string): LanguageModel {
      const entry = byId.get(id)
      const factory = entry && factories[entry.provider]
      if (!entry || !factory) throw unknownModel(id)
      const model = models.get(id) ?? factory(entry.modelId)
      models.set(id, model)
      return model
    },
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
    /** GET /api/models for signed-in callers. */
    routes: modelsRoutes(() => entries),
  }
}
export type ModelsModule = ReturnType<typeof createModelsModule>
