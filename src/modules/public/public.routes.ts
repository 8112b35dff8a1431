import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { streamText } from 'ai'
import { z } from 'zod'
import { ipKey } from '../../platform/http/client-ip.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import { assembleSystemPrompt, BUILTIN_AGENTS } from '../agents/agents.module.ts'
import { OFFLINE_MODEL_ID, type ModelsModule } from '../models/models.module.ts'
import { searchPublic } from './public-search.ts'

const SearchHit = z.object({
  type: z.enum(['agent', 'template']),
  id: z.string(),
  title: z.string(),
  subtitle: z.string(),
})
const DemoBody = z.strictObject({
  agentId: z.enum(BUILTIN_AGENTS.map((a) => a.id) as [string, ...string[]]),
  message: z.string().trim().min(1).max(1000),
})
const DEMO_CONTEXT = {
  workspaceName: 'Demo Agency',
  client: { name: 'Demo Bakery', website: null, notes: 'A demo client: nothing here is saved.' },
  tools: [],
  today: new Date(0),
}

/** What anyone may use without an account: the landing page search and the offline demo chat. */
export const publicRoutes =
  ({ models, demoPerMinute }: { models: ModelsModule; demoPerMinute: number }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/search',
      {
        config: { public: true, rateLimit: { max: 120, timeWindow: 60_000 } },
        schema: {
          tags: ['public'],
          summary: 'Autocomplete over built-in agents and prompt templates (no tenant data)',
          querystring: z.strictObject({ q: z.string().max(500).default('') }),
          response: { 200: z.object({ items: z.array(SearchHit) }), ...errorResponses(400, 429) },
        },
      },
      async (req) => ({ items: searchPublic(req.query.q) }),
    )

    app.post(
      '/api/demo/chat',
      {
        config: {
          public: true,
          rateLimit: { max: demoPerMinute, timeWindow: 60_000, keyGenerator: (req) => `demo:${ipKey(req.ip)}` },
        },
        schema: {
          tags: ['public'],
          summary: 'Try an agent on the offline model: streamed, nothing saved',
          body: DemoBody,
          response: {
            200: z.string().meta({ description: 'text/event-stream: `delta` events then `done`' }),
            ...errorResponses(400, 429),
          },
        },
      },
      async (req, reply) => {
        const agent = BUILTIN_AGENTS.find((a) => a.id === req.body.agentId)!
        const abort = new AbortController()
        reply.raw.on('close', () => abort.abort())
        reply.hijack()
        reply.raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
        })
        // The demo always uses the offline model, whatever providers are configured: it costs nothing and writes nothing.
        const result = streamText({
          model: models.languageModel(OFFLINE_MODEL_ID),
          system: assembleSystemPrompt(agent, DEMO_CONTEXT),
          prompt: req.body.message,
          abortSignal: abort.signal,
          maxOutputTokens: 600,
          onError: () => undefined,
        })
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta')
            reply.raw.write(`event: delta\ndata: ${JSON.stringify({ text: part.text })}\n\n`)
        }
        reply.raw.end(`event: done\ndata: ${JSON.stringify({ offline: true, saved: false })}\n\n`)
      },
    )
  }
