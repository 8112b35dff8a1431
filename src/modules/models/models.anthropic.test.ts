import { generateText, streamText } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts'
import { createEgress } from '../../platform/egress/egress.ts'
import { createModelsModule } from './models.module.ts'

let fake: FakeAnthropic | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const KEY = 'sk-ant-test-key-000000000001'
const anthropicModels = (url: string) =>
  createModelsModule({ anthropic: { apiKey: KEY, baseURL: url }, offlineChunkDelayMs: 0 })

describe('Anthropic through the real adapter', () => {
  it('streams the answer and reports input and output tokens from message_start and message_delta', async () => {
    fake = await startFakeAnthropic({
      apiKey: KEY,
      text: 'Organic traffic rose 12%.',
      chunks: 3,
      chunkDelayMs: 5,
      usage: { input_tokens: 30, output_tokens: 6 },
    })
    const result = streamText({
      model: anthropicModels(fake.url).languageModel('anthropic:claude-haiku-4-5'),
      system: 'You are the SEO Strategist.',
      prompt: 'How is organic doing?',
      maxOutputTokens: 256,
      onError: () => {},
    })

    const deltas: string[] = []
    for await (const part of result.fullStream) if (part.type === 'text-delta') deltas.push(part.text)

    expect(deltas.join('')).toBe('Organic traffic rose 12%.')
    expect(deltas.length).toBe(3)
    expect(await result.totalUsage).toMatchObject({ inputTokens: 30, outputTokens: 6 })
    expect(fake.requests[0]?.body).toMatchObject({
      model: 'claude-haiku-4-5',
      stream: true,
      system: [{ type: 'text', text: 'You are the SEO Strategist.' }],
    })
  })

  it("streams through the egress guard's fetch (a workspace base URL) chunk by chunk, usage included", async () => {
    fake = await startFakeAnthropic({
      apiKey: KEY,
      text: 'Organic traffic rose 12%.',
      chunks: 3,
      chunkDelayMs: 5,
      usage: { input_tokens: 30, output_tokens: 6 },
    })
    const { fetch } = createEgress({ allowPrivate: ['127.0.0.1/32'] })
    const models = createModelsModule({ anthropic: { apiKey: KEY, baseURL: fake.url, fetch }, offlineChunkDelayMs: 0 })
    const result = streamText({
      model: models.languageModel('anthropic:claude-haiku-4-5'),
      prompt: 'How is organic doing?',
      maxOutputTokens: 256,
      onError: () => {},
    })

    const deltas: string[] = []
    for await (const part of result.fullStream) if (part.type === 'text-delta') deltas.push(part.text)

    expect(deltas).toHaveLength(3)
    expect(deltas.join('')).toBe('Organic traffic rose 12%.')
    expect(await result.totalUsage).toMatchObject({ inputTokens: 30, outputTokens: 6 })
  })

  it('answers without streaming', async () => {
    fake = await startFakeAnthropic({ apiKey: KEY, text: 'Short answer.' })
    const result = await generateText({
      model: anthropicModels(fake.url).languageModel('anthropic:claude-sonnet-4-0'),
      prompt: 'Hi',
    })

    expect(result.text).toBe('Short answer.')
    expect(fake.requests[0]?.headers['x-api-key']).toBe(KEY)
  })

  it('turns a refused key into model.provider_unauthorized naming ANTHROPIC_API_KEY', async () => {
    fake = await startFakeAnthropic({ apiKey: 'sk-ant-another-key-0000000' })
    const models = anthropicModels(fake.url)
    const entry = models.find('anthropic:claude-haiku-4-5')!
    const error = await generateText({
      model: models.languageModel(entry.id),
      prompt: 'Hi',
      maxOutputTokens: 256,
    }).catch((e: unknown) => e)

    const described = models.describeError(error, entry)
    expect(described).toMatchObject({ status: 502, code: 'model.provider_unauthorized' })
    expect(described.message).toContain('ANTHROPIC_API_KEY')
    expect(described.message).not.toContain(KEY)
  })

  it('turns a prompt over the context window into a 400 model.context_too_long', async () => {
    fake = await startFakeAnthropic({ fail: { status: 400 } })
    const models = anthropicModels(fake.url)
    const entry = models.find('anthropic:claude-sonnet-4-0')!
    const error = await generateText({ model: models.languageModel(entry.id), prompt: 'A very long prompt' }).catch(
      (e: unknown) => e,
    )

    expect(models.describeError(error, entry)).toMatchObject({
      status: 400,
      code: 'model.context_too_long',
      details: { contextWindow: 200_000 },
    })
  })

  it('reports an overloaded API (529) as model.provider_unavailable', async () => {
    fake = await startFakeAnthropic({ fail: { status: 529 } })
    const models = anthropicModels(fake.url)
    const entry = models.find('anthropic:claude-sonnet-4-0')!
    const error = await generateText({
      model: models.languageModel(entry.id),
      prompt: 'Hi',
      maxOutputTokens: 256,
      maxRetries: 0,
    }).catch((e: unknown) => e)

    expect(models.describeError(error, entry)).toMatchObject({
      status: 502,
      code: 'model.provider_unavailable',
      message: expect.stringContaining('HTTP 529'),
    })
  })
})
