import { generateText, streamText } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/openai-upstream.ts'
import { createModelsModule } from './models.module.ts'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const openaiModels = (url: string) =>
  createModelsModule({ openai: { apiKey: 'sk-test-openai-0001', baseURL: url }, offlineChunkDelayMs: 0 })

describe('OpenAI through the real adapter', () => {
  it('streams the answer chunk by chunk and reports the upstream usage', async () => {
    fake = await startFakeOpenAI({
      text: 'Spend moved to brand campaigns.',
      chunks: 4,
      chunkDelayMs: 5,
      usage: { prompt_tokens: 42, completion_tokens: 8 },
    })
    const result = streamText({
      model: openaiModels(fake.url).languageModel('openai:gpt-4o-mini'),
      prompt: 'Where did spend go?',
      onError: () => {},
    })

    const deltas: string[] = []
    for await (const part of result.fullStream) if (part.type === 'text-delta') deltas.push(part.text)

    expect(deltas.join('')).toBe('Spend moved to brand campaigns.')
    expect(deltas.length).toBe(4)
    expect(await result.totalUsage).toMatchObject({ inputTokens: 42, outputTokens: 8, totalTokens: 50 })
    expect(await result.finishReason).toBe('stop')
  })

  it('sends the key, the model id and a request for streamed usage on the Chat Completions endpoint', async () => {
    fake = await startFakeOpenAI()
    await streamText({
      model: openaiModels(fake.url).languageModel('openai:gpt-4.1'),
      prompt: 'Hi',
      onError: () => {},
    }).consumeStream()

    const [request] = fake.completions()
    expect(request?.path).toBe('/v1/chat/completions')
    expect(request?.headers.authorization).toBe('Bearer sk-test-openai-0001')
    expect(request?.body).toMatchObject({ model: 'gpt-4.1', stream: true, stream_options: { include_usage: true } })
  })

  it('answers without streaming through generateText', async () => {
    fake = await startFakeOpenAI({ text: 'A plain answer.', usage: { prompt_tokens: 5, completion_tokens: 3 } })
    const result = await generateText({
      model: openaiModels(fake.url).languageModel('openai:gpt-4o'),
      prompt: 'Say something',
    })

    expect(result.text).toBe('A plain answer.')
    expect(result.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 })
    expect(fake.completions()[0]?.body?.stream).toBeFalsy()
  })

  it('streams tool calls as the SDK’s tool-call parts', async () => {
    fake = await startFakeOpenAI({ toolCalls: [{ id: 'call_1', name: 'getCampaigns', arguments: '{"days":30}' }] })
    const result = streamText({
      model: openaiModels(fake.url).languageModel('openai:gpt-4o-mini'),
      prompt: 'List campaigns',
      onError: () => {},
      tools: { getCampaigns: { description: 'Campaigns', inputSchema: z.object({ days: z.number() }) } },
    })

    const calls = []
    for await (const part of result.fullStream) if (part.type === 'tool-call') calls.push(part)

    expect(calls).toMatchObject([{ toolCallId: 'call_1', toolName: 'getCampaigns', input: { days: 30 } }])
    expect(await result.finishReason).toBe('tool-calls')
  })

  it('reaches Groq through the same wire format at GROQ_BASE_URL', async () => {
    fake = await startFakeOpenAI({ text: 'Fast answer.' })
    const models = createModelsModule({ groq: { apiKey: 'gsk-test-0001', baseURL: fake.url }, offlineChunkDelayMs: 0 })

    expect(
      await streamText({ model: models.languageModel('groq:llama-3.3-70b-versatile'), prompt: 'Hi', onError: () => {} })
        .text,
    ).toBe('Fast answer.')
    expect(fake.completions()[0]?.headers.authorization).toBe('Bearer gsk-test-0001')
  })

  it('talks to a self-hosted OpenAI-compatible server at its base URL, one catalog entry per configured model', async () => {
    fake = await startFakeOpenAI({ text: 'Local llama here.' })
    const models = createModelsModule({
      openaiCompatible: { baseURL: fake.url, models: ['llama3.1', 'qwen2.5'] },
      offlineChunkDelayMs: 0,
    })
    const result = streamText({
      model: models.languageModel('openai-compatible:llama3.1'),
      prompt: 'Hello?',
      onError: () => {},
    })

    expect(await result.text).toBe('Local llama here.')
    expect(models.catalog().map((e) => e.id)).toEqual([
      'openai-compatible:llama3.1',
      'openai-compatible:qwen2.5',
      'offline:camarad-offline',
    ])
    expect(fake.completions()[0]?.body).toMatchObject({ model: 'llama3.1', stream_options: { include_usage: true } })
    expect(fake.completions()[0]?.headers.authorization).toBeUndefined()
  })
})
