import { createAnthropic } from '@ai-sdk/anthropic'
import { createGoogleGenerativeAI } from '@ai-sdk/google'
import { createGroq } from '@ai-sdk/groq'
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import type { EmbeddingModelV4, LanguageModelV4 } from '@ai-sdk/provider'
import type { ProviderName, ProviderSettings } from './models.types.ts'
import { createOfflineModel } from './offline-model.ts'

type ModelFactory = (modelId: string) => LanguageModelV4

/**
 * One SDK provider per configured service, built with explicit settings so nothing is read from
 * process.env behind the config's back. Unconfigured providers are absent. A provider with its own `fetch`
 * (a workspace's base URL: the egress guard's) calls out through it; the others use the platform's.
 */
export const createProviderFactories = (settings: ProviderSettings): Partial<Record<ProviderName, ModelFactory>> => {
  const factories: Partial<Record<ProviderName, ModelFactory>> = {}
  if (settings.openai) {
    const openai = createOpenAI({
      apiKey: settings.openai.apiKey,
      baseURL: settings.openai.baseURL,
      fetch: settings.openai.fetch,
    })
    // Chat Completions rather than the Responses API, so an OpenAI-compatible OPENAI_BASE_URL works too.
    factories.openai = (id) => openai.chat(id)
  }
  if (settings.anthropic) {
    const anthropic = createAnthropic({
      apiKey: settings.anthropic.apiKey,
      baseURL: settings.anthropic.baseURL,
      fetch: settings.anthropic.fetch,
    })
    factories.anthropic = (id) => anthropic.languageModel(id)
  }
  if (settings.google) {
    const google = createGoogleGenerativeAI({
      apiKey: settings.google.apiKey,
      baseURL: settings.google.baseURL,
      fetch: settings.google.fetch,
    })
    factories.google = (id) => google.languageModel(id)
  }
  if (settings.groq) {
    const groq = createGroq({
      apiKey: settings.groq.apiKey,
      baseURL: settings.groq.baseURL,
      fetch: settings.groq.fetch,
    })
    factories.groq = (id) => groq.languageModel(id)
  }
  if (settings.openaiCompatible) {
    const { baseURL, apiKey, fetch } = settings.openaiCompatible
    // includeUsage asks the server for token counts on streams; metering needs them.
    const compatible = createOpenAICompatible({ name: 'openai-compatible', baseURL, apiKey, includeUsage: true, fetch })
    factories['openai-compatible'] = (id) => compatible.chatModel(id)
  }
  const offline = createOfflineModel({ chunkDelayMs: settings.offlineChunkDelayMs })
  factories.offline = () => offline
  return factories
}

/**
 * The embeddings model of a set of settings (OpenAI-compatible `/embeddings`), built like the language models: explicit
 * settings, the provider's own `fetch` when it has one. Undefined when no provider offers embeddings.
 */
export const createEmbeddingModel = (
  settings: ProviderSettings,
  provider: ProviderName | undefined,
  modelId: string,
): EmbeddingModelV4 | undefined => {
  if (provider === 'openai' && settings.openai)
    return createOpenAI({
      apiKey: settings.openai.apiKey,
      baseURL: settings.openai.baseURL,
      fetch: settings.openai.fetch,
    }).embeddingModel(modelId)
  if (provider === 'openai-compatible' && settings.openaiCompatible) {
    const { baseURL, apiKey, fetch } = settings.openaiCompatible
    return createOpenAICompatible({ name: 'openai-compatible', baseURL, apiKey, fetch }).embeddingModel(modelId)
  }
  return undefined
}
