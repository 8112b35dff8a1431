import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses, requireAuth } from '../../platform/http/route-helpers.ts'
import type { CatalogEntry } from './models.types.ts'

export const CatalogEntryDto = z
  .object({
    id: z.string().meta({ description: '`<provider>:<modelId>`, the value agents and messages refer to' }),
    provider: z.enum(['openai', 'anthropic', 'google', 'groq', 'openai-compatible', 'offline']),
    modelId: z.string(),
    label: z.string(),
    contextWindow: z.number().int(),
    maxOutputTokens: z.number().int(),
    pricePerMillion: z
      .object({ input: z.number(), output: z.number(), cachedInput: z.number() })
      .meta({ description: 'USD per million tokens (public list prices; 0 for offline and self-hosted models)' }),
    tier: z.enum(['standard', 'advanced']),
    offline: z.boolean().meta({ description: 'Answers are composed locally, without an AI provider' }),
  })
  .meta({ id: 'ModelCatalogEntry' })

export const ModelList = z.object({ items: z.array(CatalogEntryDto) })

export const modelsRoutes =
  (catalog: (req: FastifyRequest) => Promise<CatalogEntry[]>) => async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/api/models',
      {
        schema: {
          tags: ['models'],
          summary:
            "Models this server can run, the offline model last; with X-Workspace-ID or X-Client-ID, including the workspace's own keys",
          response: { 200: ModelList, ...errorResponses(401, 404) },
        },
      },
      async (req) => {
        requireAuth(req)
        return { items: await catalog(req) }
      },
    )
  }
