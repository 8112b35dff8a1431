import { afterEach, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/openai-upstream.ts'
import { createModelSet, createModelsModule } from './models.module.ts'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0)

describe('embeddings through the real adapter', () => {
  it("embeds with OpenAI's default model, one vector per text in order, with the reported tokens", async () => {
    fake = await startFakeOpenAI()
    const set = createModelSet({ openai: { apiKey: 'sk-emb', baseURL: fake.url }, offlineChunkDelayMs: 0 })
    expect(set.embeddingsModel()).toMatchObject({
      id: 'openai:text-embedding-3-small',
      pricePerMillion: { input: 0.02, output: 0 },
    })
    const { vectors, tokens } = await set.embed(['banquet fee', 'catering price', 'opening hours'])
    expect(vectors).toHaveLength(3)
    expect(vectors[0]).toHaveLength(1536)
    expect(tokens).toBe(6)
    expect(cosine(vectors[0]!, vectors[1]!)).toBeCloseTo(1, 5)
    expect(cosine(vectors[0]!, vectors[2]!)).toBeLessThan(0.3)
    const sent = fake.embeddings()[0]!
    expect(sent.path).toBe('/v1/embeddings')
    expect(sent.headers.authorization).toBe('Bearer sk-emb')
    expect(sent.body).toMatchObject({
      model: 'text-embedding-3-small',
      input: ['banquet fee', 'catering price', 'opening hours'],
    })
  })

  it('offers no embeddings without a provider that has them, and an OpenAI-compatible server only when named', () => {
    expect(createModelSet({ offlineChunkDelayMs: 0 }).embeddingsModel()).toBeUndefined()
    expect(
      createModelSet({ anthropic: { apiKey: 'sk-ant' }, offlineChunkDelayMs: 0 }).embeddingsModel(),
    ).toBeUndefined()
    const compatible = { baseURL: 'http://127.0.0.1:1/v1', models: ['llama3.1'] }
    expect(createModelSet({ openaiCompatible: compatible, offlineChunkDelayMs: 0 }).embeddingsModel()).toBeUndefined()
    expect(
      createModelSet({
        openaiCompatible: compatible,
        embeddingsModel: 'nomic-embed-text',
        offlineChunkDelayMs: 0,
      }).embeddingsModel(),
    ).toMatchObject({ id: 'openai-compatible:nomic-embed-text', pricePerMillion: { input: 0 } })
  })

  it('prices an OpenAI embeddings model it does not know as the dearest known one, and syncs their prices', () => {
    const models = createModelsModule({
      openai: { apiKey: 'sk-emb' },
      embeddingsModel: 'text-embedding-4-tiny',
      offlineChunkDelayMs: 0,
    })
    expect(models.embeddingsModel()?.pricePerMillion.input).toBe(0.13)
    const priced = models.allModels().map((e) => e.id)
    expect(priced).toContain('openai:text-embedding-3-small')
    expect(priced).toContain('openai:text-embedding-4-tiny')
    expect(models.priceableModel('openai:text-embedding-3-large')?.pricePerMillion.input).toBe(0.13)
    // Not a chat model: absent from the catalog agents and chats pick from.
    expect(models.catalog().map((e) => e.id)).not.toContain('openai:text-embedding-3-small')
  })

  it('words a provider failure like any model call, without the key', async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-right' })
    const set = createModelSet({ openai: { apiKey: 'sk-wrong-0001', baseURL: fake.url }, offlineChunkDelayMs: 0 })
    const err = await set.embed(['hello']).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 502, code: 'model.provider_unauthorized' })
    expect(JSON.stringify(err)).not.toContain('sk-wrong-0001')
    await expect(createModelSet({ offlineChunkDelayMs: 0 }).embed(['x'])).rejects.toMatchObject({
      code: 'model.unknown',
    })
  })
})
