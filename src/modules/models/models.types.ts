export type ModelTier = 'standard' | 'advanced'
export type ProviderName = 'openai' | 'anthropic' | 'google' | 'groq' | 'openai-compatible' | 'offline'

export type CatalogEntry = {
  /** `<provider>:<modelId>`, e.g. `openai:gpt-4o-mini`. */
  id: string
  provider: ProviderName
  modelId: string
  label: string
  contextWindow: number
  maxOutputTokens: number
  /** USD per million tokens, public list prices; 0 for offline and local models. */
  pricePerMillion: { input: number; output: number; cachedInput: number }
  tier: ModelTier
  offline: boolean
}

export type ProviderSettings = {
  openai?: { apiKey: string; baseURL?: string }
  anthropic?: { apiKey: string; baseURL?: string }
  google?: { apiKey: string; baseURL?: string }
  groq?: { apiKey: string; baseURL?: string }
  openaiCompatible?: { baseURL: string; apiKey?: string; models: string[] }
  offlineChunkDelayMs: number
}
