import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createModelCallMetrics } from './models.metrics.ts'
import { KNOWN_MODELS } from './models.catalog.ts'

describe('model call metrics', () => {
  const known = new Map(KNOWN_MODELS.map((e) => [e.id, e]))
  const setup = () => {
    const registry = new Registry()
    const m = createModelCallMetrics((id) => known.get(id))
    m.register(registry)
    return { registry, m }
  }
  const values = async (registry: Registry) =>
    (await registry.getSingleMetric('camarad_model_calls_total')!.get()).values.map((v) => ({
      ...v.labels,
      n: v.value,
    }))

  it('labels a catalog model by its provider and id, and the outcome from the call status', async () => {
    const { registry, m } = setup()
    const entry = KNOWN_MODELS.find((e) => e.provider === 'openai')!
    m.observe({ modelId: entry.id, surface: 'chat', status: 'complete' })
    m.observe({ modelId: entry.id, surface: 'chat', status: 'failed' })
    expect(await values(registry)).toEqual([
      { provider: 'openai', model: entry.id, surface: 'chat', outcome: 'ok', n: 1 },
      { provider: 'openai', model: entry.id, surface: 'chat', outcome: 'error', n: 1 },
    ])
  })

  it('counts a model no catalog knows (a workspace’s own server) as other, never by its own id', async () => {
    const { registry, m } = setup()
    m.observe({ modelId: 'openai-compatible:my-private-llama', surface: 'v1', status: 'cancelled' })
    m.observe({ modelId: 'openai-compatible:another-one', surface: 'v1', status: 'cancelled' })
    expect(await values(registry)).toEqual([
      { provider: 'other', model: 'other', surface: 'v1', outcome: 'cancelled', n: 2 },
    ])
  })
})
