import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config.ts'
import { AppError } from '../../platform/http/errors.ts'
import { createModelsModule, OFFLINE_MODEL_ID, providerSettingsFrom } from './models.module.ts'

const configFrom = (env: Record<string, string>) =>
  loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: ':memory:',
    SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
    ...env,
  })

describe('the model catalog', () => {
  it('lists only the configured providers, with the offline model last', () => {
    const models = createModelsModule({
      anthropic: { apiKey: 'sk-ant-x' },
      groq: { apiKey: 'gsk-x' },
      offlineChunkDelayMs: 0,
    })

    expect(models.catalog().map((e) => e.id)).toEqual([
      'anthropic:claude-haiku-4-5',
      'anthropic:claude-sonnet-4-0',
      'groq:llama-3.3-70b-versatile',
      OFFLINE_MODEL_ID,
    ])
  })

  it('has only the offline model when nothing is configured, and defaults to it', () => {
    const models = createModelsModule({ offlineChunkDelayMs: 0 })

    expect(models.catalog()).toEqual([
      expect.objectContaining({
        id: OFFLINE_MODEL_ID,
        offline: true,
        pricePerMillion: { input: 0, output: 0, cachedInput: 0 },
      }),
    ])
    expect(models.defaultModelId()).toBe(OFFLINE_MODEL_ID)
    expect(models.defaultModelId('advanced')).toBe(OFFLINE_MODEL_ID)
  })

  it('defaults to the first configured model of the asked tier', () => {
    const models = createModelsModule({ openai: { apiKey: 'sk-x' }, google: { apiKey: 'g-x' }, offlineChunkDelayMs: 0 })

    expect(models.defaultModelId()).toBe('openai:gpt-4o-mini')
    expect(models.defaultModelId('advanced')).toBe('openai:gpt-4.1')
  })

  it('prefers a configured model of another tier over the offline model', () => {
    const models = createModelsModule({ groq: { apiKey: 'gsk-x' }, offlineChunkDelayMs: 0 })

    expect(models.defaultModelId('advanced')).toBe('groq:llama-3.3-70b-versatile')
  })

  it('carries list prices and limits for metering', () => {
    const models = createModelsModule({ openai: { apiKey: 'sk-x' }, offlineChunkDelayMs: 0 })

    expect(models.find('openai:gpt-4o-mini')).toMatchObject({
      provider: 'openai',
      modelId: 'gpt-4o-mini',
      contextWindow: 128_000,
      tier: 'standard',
      offline: false,
      pricePerMillion: { input: 0.15, output: 0.6, cachedInput: 0.075 },
    })
    expect(models.find('anthropic:claude-sonnet-4-0')).toBeUndefined()
  })

  it('refuses an id outside the catalog with 400 model.unknown', () => {
    const models = createModelsModule({ offlineChunkDelayMs: 0 })

    const attempt = () => models.languageModel('openai:gpt-4o')
    expect(attempt).toThrow(AppError)
    expect(attempt).toThrow(expect.objectContaining({ status: 400, code: 'model.unknown' }))
  })

  it('gives the same model object for the same id', () => {
    const models = createModelsModule({ offlineChunkDelayMs: 0 })

    expect(models.languageModel(OFFLINE_MODEL_ID)).toBe(models.languageModel(OFFLINE_MODEL_ID))
  })
})

describe('provider settings from the configuration', () => {
  it('configures a provider when its key is set, and openai-compatible when its base URL is', () => {
    const settings = providerSettingsFrom(
      configFrom({
        OPENAI_API_KEY: 'sk-1',
        OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
        OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1',
        OPENAI_COMPATIBLE_MODELS: 'llama3.1, qwen2.5',
        OFFLINE_MODEL_CHUNK_DELAY_MS: '3',
      }),
    )

    expect(settings).toEqual({
      openai: { apiKey: 'sk-1', baseURL: 'http://127.0.0.1:1/v1' },
      openaiCompatible: { baseURL: 'http://127.0.0.1:11434/v1', apiKey: undefined, models: ['llama3.1', 'qwen2.5'] },
      anthropic: undefined,
      google: undefined,
      groq: undefined,
      offlineChunkDelayMs: 3,
    })
  })

  it('leaves every provider out when no key is set', () => {
    const settings = providerSettingsFrom(configFrom({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:1/v1' }))

    expect(
      createModelsModule(settings)
        .catalog()
        .map((e) => e.id),
    ).toEqual([OFFLINE_MODEL_ID])
  })
})
