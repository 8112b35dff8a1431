import type { CatalogEntry, ModelTier, ProviderName, ProviderSettings } from './models.types.ts'

export const OFFLINE_MODEL_ID = 'offline:camarad-offline'

/** How each provider is named to people, and which variables configure it (named in error messages). */
export const PROVIDERS: Record<ProviderName, { name: string; keyEnv?: string; baseUrlEnv?: string }> = {
  openai: { name: 'OpenAI', keyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' },
  anthropic: { name: 'Anthropic', keyEnv: 'ANTHROPIC_API_KEY', baseUrlEnv: 'ANTHROPIC_BASE_URL' },
  google: {
    name: 'Google Gemini',
    keyEnv: 'GOOGLE_GENERATIVE_AI_API_KEY',
    baseUrlEnv: 'GOOGLE_GENERATIVE_AI_BASE_URL',
  },
  groq: { name: 'Groq', keyEnv: 'GROQ_API_KEY', baseUrlEnv: 'GROQ_BASE_URL' },
  'openai-compatible': {
    name: 'OpenAI-compatible server',
    keyEnv: 'OPENAI_COMPATIBLE_API_KEY',
    baseUrlEnv: 'OPENAI_COMPATIBLE_BASE_URL',
  },
  offline: { name: 'offline model' },
}

const entry = (
  provider: ProviderName,
  modelId: string,
  label: string,
  contextWindow: number,
  maxOutputTokens: number,
  [input, output, cachedInput]: [number, number, number],
  tier: ModelTier,
): CatalogEntry => ({
  id: `${provider}:${modelId}`,
  provider,
  modelId,
  label,
  contextWindow,
  maxOutputTokens,
  pricePerMillion: { input, output, cachedInput },
  tier,
  offline: provider === 'offline',
})

/**
 * Hosted models, in the order `defaultModelId` prefers them within a tier. Prices are the providers'
 * public list prices in USD per million tokens (input / output / cached input); metering bills from them.
 */
const HOSTED: CatalogEntry[] = [
  entry('openai', 'gpt-4o-mini', 'GPT-4o mini', 128_000, 16_384, [0.15, 0.6, 0.075], 'standard'),
  entry('openai', 'gpt-4.1-mini', 'GPT-4.1 mini', 1_047_576, 32_768, [0.4, 1.6, 0.1], 'standard'),
  entry('openai', 'gpt-4.1', 'GPT-4.1', 1_047_576, 32_768, [2, 8, 0.5], 'advanced'),
  entry('openai', 'gpt-4o', 'GPT-4o', 128_000, 16_384, [2.5, 10, 1.25], 'advanced'),
  entry('anthropic', 'claude-haiku-4-5', 'Claude Haiku 4.5', 200_000, 64_000, [1, 5, 0.1], 'standard'),
  entry('anthropic', 'claude-sonnet-4-0', 'Claude Sonnet 4', 200_000, 64_000, [3, 15, 0.3], 'advanced'),
  entry('google', 'gemini-2.0-flash', 'Gemini 2.0 Flash', 1_048_576, 8_192, [0.1, 0.4, 0.025], 'standard'),
  entry('google', 'gemini-2.5-pro', 'Gemini 2.5 Pro', 1_048_576, 65_536, [1.25, 10, 0.31], 'advanced'),
  entry('groq', 'llama-3.3-70b-versatile', 'Llama 3.3 70B (Groq)', 131_072, 32_768, [0.59, 0.79, 0], 'standard'),
]

/** The local model: always available, free, and never a silent stand-in for a configured provider. */
const OFFLINE = entry(
  'offline',
  'camarad-offline',
  'Camarad offline (no AI provider)',
  16_384,
  1_024,
  [0, 0, 0],
  'standard',
)

/**
 * OpenAI's embedding models (USD per million input tokens; they have no output). A name not listed here is priced
 * as the dearest of them, so an unknown model is never charged below its cost.
 */
const OPENAI_EMBEDDINGS: Record<string, number> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002': 0.1,
}
export const DEFAULT_EMBEDDINGS_MODEL = 'text-embedding-3-small'

/** The catalog entry an embeddings call is metered with (priced like any model: input tokens only). */
export const embeddingEntry = (provider: 'openai' | 'openai-compatible', modelId: string): CatalogEntry => {
  const price =
    provider === 'openai' ? (OPENAI_EMBEDDINGS[modelId] ?? Math.max(...Object.values(OPENAI_EMBEDDINGS))) : 0
  return entry(provider, modelId, `${modelId} (embeddings)`, 8_191, 0, [price, 0, 0], 'standard')
}

/** OpenAI's embedding models, priced (the price book is synced from them as from the chat models). */
export const KNOWN_EMBEDDING_MODELS: readonly CatalogEntry[] = Object.keys(OPENAI_EMBEDDINGS).map((id) =>
  embeddingEntry('openai', id),
)

/**
 * The embeddings model of a set of provider settings, if any provider offers OpenAI-compatible `/embeddings`: OpenAI
 * (its default model unless `EMBEDDINGS_MODEL` names another), else an OpenAI-compatible server when
 * `EMBEDDINGS_MODEL` names one of its models. Anthropic, Groq, Gemini here and the offline model offer none.
 */
export const embeddingsEntryFor = (settings: ProviderSettings): CatalogEntry | undefined => {
  if (settings.openai) return embeddingEntry('openai', settings.embeddingsModel ?? DEFAULT_EMBEDDINGS_MODEL)
  if (settings.openaiCompatible && settings.embeddingsModel)
    return embeddingEntry('openai-compatible', settings.embeddingsModel)
  return undefined
}

/** Every model the server knows a list price for, configured or not (prices are synced from here). */
export const KNOWN_MODELS: readonly CatalogEntry[] = [...HOSTED, OFFLINE]

const isConfigured = (provider: ProviderName, settings: ProviderSettings) => {
  if (provider === 'openai-compatible') return Boolean(settings.openaiCompatible)
  return provider === 'offline' || Boolean(settings[provider])
}

/** Entries of the configured providers, then the self-hosted server's models, then the offline model last. */
export const buildCatalog = (settings: ProviderSettings): CatalogEntry[] => [
  ...HOSTED.filter((e) => isConfigured(e.provider, settings)),
  ...(settings.openaiCompatible?.models ?? []).map((name) =>
    entry('openai-compatible', name, `${name} (self-hosted)`, 32_768, 4_096, [0, 0, 0], 'standard'),
  ),
  OFFLINE,
]
