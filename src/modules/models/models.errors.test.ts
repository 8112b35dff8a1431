import { APICallError, generateText, streamText } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/openai-upstream.ts'
import { EVIDENCE_CHARS, SHOWN_CHARS } from './models.errors.ts'
import { createModelsModule } from './models.module.ts'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const KEY = 'sk-test-configured-key-1234567890'
const setup = (url: string) => {
  const models = createModelsModule({ openai: { apiKey: KEY, baseURL: url }, offlineChunkDelayMs: 0 })
  const entry = models.find('openai:gpt-4o-mini')!
  return { models, entry, model: models.languageModel(entry.id) }
}

/** The error part a streamed answer ends with, as the chat module sees it. */
const streamError = async (result: ReturnType<typeof streamText>) => {
  for await (const part of result.fullStream) if (part.type === 'error') return part.error
  return undefined
}

describe('provider failures', () => {
  it('reports a refused key as 502 model.provider_unauthorized naming OPENAI_API_KEY, without the key', async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-the-real-key-on-the-upstream' })
    const { models, entry, model } = setup(fake.url)

    const error = await streamError(streamText({ model, prompt: 'Hi', onError: () => {} }))
    const described = models.describeError(error, entry)

    expect(described).toMatchObject({ status: 502, code: 'model.provider_unauthorized' })
    expect(described.message).toBe('The OpenAI API refused the configured key; check OPENAI_API_KEY.')
    expect(described.message).not.toContain(KEY)
    expect(fake.completions()).toHaveLength(1)
  })

  it('waits as told by Retry-After after a 429 and then succeeds on the second request', async () => {
    fake = await startFakeOpenAI({ text: 'Made it.', fail: { status: 429, times: 1, retryAfter: '1' } })
    const { model } = setup(fake.url)

    const started = Date.now()
    const result = await generateText({ model, prompt: 'Hi' })

    expect(result.text).toBe('Made it.')
    expect(fake.completions()).toHaveLength(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('gives up after bounded retries on repeated 500s with model.provider_unavailable', async () => {
    fake = await startFakeOpenAI({ fail: { status: 500, retryAfterMs: '10' } })
    const { models, entry, model } = setup(fake.url)

    const error = await streamError(streamText({ model, prompt: 'Hi', maxRetries: 2, onError: () => {} }))

    expect(fake.completions()).toHaveLength(3)
    expect(models.describeError(error, entry)).toMatchObject({ status: 502, code: 'model.provider_unavailable' })
  })

  it('reports a rate limit the caller will not wait out as 503 with the upstream Retry-After', async () => {
    fake = await startFakeOpenAI({ fail: { status: 429, retryAfter: '7' } })
    const { models, entry, model } = setup(fake.url)

    const error = await generateText({ model, prompt: 'Hi', maxRetries: 0 }).catch((e: unknown) => e)

    expect(models.describeError(error, entry)).toMatchObject({
      status: 503,
      code: 'model.provider_rate_limited',
      headers: { 'retry-after': '7' },
    })
  })

  it('reports a context-length refusal as 400 model.context_too_long', async () => {
    fake = await startFakeOpenAI({ fail: { status: 400 } })
    const { models, entry, model } = setup(fake.url)

    const error = await generateText({ model, prompt: 'Hi' }).catch((e: unknown) => e)

    expect(models.describeError(error, entry)).toMatchObject({
      status: 400,
      code: 'model.context_too_long',
      details: { contextWindow: 128_000 },
    })
  })

  it('reports an unreachable provider as model.provider_unavailable pointing at OPENAI_BASE_URL', async () => {
    fake = await startFakeOpenAI()
    const url = fake.url
    await fake.close()
    fake = undefined
    const { models, entry, model } = setup(url)

    const error = await generateText({ model, prompt: 'Hi', maxRetries: 0 }).catch((e: unknown) => e)

    expect(models.describeError(error, entry)).toMatchObject({ status: 502, code: 'model.provider_unavailable' })
    expect(models.describeError(error, entry).message).toContain('OPENAI_BASE_URL')
  })

  it('passes other upstream messages on as model.provider_error with any key removed', () => {
    const { models, entry } = setup('http://127.0.0.1:9/v1')
    const upstream = new APICallError({
      message: `The model does not exist or you do not have access to it (key ${KEY}).`,
      url: 'http://x',
      requestBodyValues: {},
      statusCode: 404,
    })

    const described = models.describeError(upstream, entry)

    expect(described).toMatchObject({ status: 502, code: 'model.provider_error' })
    expect(described.message).toContain('does not exist')
    expect(described.message).not.toContain(KEY)
  })

  it('shows at most 200 characters of a long upstream error, with URL credentials removed', async () => {
    const long = `Bad request for https://admin:hunter2@internal.example/v1 ${'and then some more words '.repeat(80_000)}`
    fake = await startFakeOpenAI({ fail: { status: 400, message: long } })
    const { models, entry, model } = setup(fake.url)

    const described = models.describeError(
      await generateText({ model, prompt: 'Hi', maxRetries: 0 }).catch((e: unknown) => e),
      entry,
    )

    expect(described).toMatchObject({ status: 502, code: 'model.provider_error' })
    expect(described.message).toContain('https://[redacted]@internal.example/v1')
    expect(described.message).not.toContain('hunter2')
    expect(described.message.length).toBeLessThanOrEqual(
      'The OpenAI API returned an error (HTTP 400): '.length + SHOWN_CHARS,
    )
  })

  it('looks for known failure kinds in the first 4 KB of an error body only', async () => {
    fake = await startFakeOpenAI({
      fail: {
        status: 400,
        message: `${'x'.repeat(EVIDENCE_CHARS)} input token count ${'9 '.repeat(100_000)} exceeds the limit`,
      },
    })
    const { models, entry, model } = setup(fake.url)

    const described = models.describeError(
      await generateText({ model, prompt: 'Hi', maxRetries: 0 }).catch((e: unknown) => e),
      entry,
    )

    expect(described.code).toBe('model.provider_error')
  })
})
