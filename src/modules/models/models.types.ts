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

/** The `fetch` a provider calls out with: the platform's, or the egress guard's for an address a workspace chose. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export type ProviderSettings = {
  openai?: { apiKey: string; baseURL?: string; fetch?: Fetch }
  anthropic?: { apiKey: string; baseURL?: string; fetch?: Fetch }
  google?: { apiKey: string; baseURL?: string; fetch?: Fetch }
  groq?: { apiKey: string; baseURL?: string; fetch?: Fetch }
  openaiCompatible?: { baseURL: string; apiKey?: string; models: string[]; fetch?: Fetch }
  offlineChunkDelayMs: number
  /**
   * The embeddings model (`EMBEDDINGS_MODEL`): on OpenAI, `text-embedding-3-small` when unset; on an OpenAI-compatible
   * server only when set (its model names are its own). Unset and no OpenAI key: no embeddings.
   */
  embeddingsModel?: string
}
