import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Executor } from './chat.repository.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { AgentService } from '../agents/agents.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { clientFacts, searchClient } from './search.repository.ts'
import { suggestPrompts, type SuggestionSource } from './suggestions.ts'

const Hit = z.object({
  type: z.enum(['agent', 'conversation', 'message']),
  id: z.string(),
  title: z.string(),
  snippet: z.string(),
  conversationId: z.string().nullable(),
})

const snippetAround = (text: string, q: string) => {
  const i = text.toLowerCase().indexOf(q.toLowerCase())
  const start = Math.max(0, i - 60)
  return (start > 0 ? '…' : '') + text.slice(start, start + 160) + (text.length > start + 160 ? '…' : '')
}

/** Composer suggestions and in-app search, both scoped to the client in X-Client-ID. */
export const discoveryRoutes =
  ({
    db,
    agents,
    scope,
    sources,
  }: {
    db: Executor
    agents: AgentService
    scope: ScopeResolver
    sources: readonly SuggestionSource[]
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/chat/suggestions',
      {
        schema: {
          tags: ['chat'],
          summary: 'Starter prompts for an agent, adapted to what this client has (X-Client-ID)',
          querystring: z.strictObject({ agentId: z.string().min(3).max(64) }),
          response: { 200: z.object({ items: z.array(z.string()) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        const s = await scope.clientFromHeader(req, 'viewer')
        const agent = await agents.resolve(s, req.query.agentId)
        const [facts, ...parts] = await Promise.all([clientFacts(db, s), ...sources.map((source) => source(s))])
        return { items: suggestPrompts(agent.dto, Object.assign({ ...s.client, ...facts }, ...parts)) }
      },
    )

    app.get(
      '/api/app/search',
      {
        schema: {
          tags: ['search'],
          summary: "Search this client's agents, conversations and messages (X-Client-ID)",
          querystring: z.strictObject({
            q: z.string().trim().min(2).max(100),
            limit: z.coerce.number().int().min(1).max(20).default(8),
          }),
          response: { 200: z.object({ items: z.array(Hit) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        const s = await scope.clientFromHeader(req, 'viewer')
        const q = req.query.q
        const agentHits = (await agents.list(s))
          .filter((a) => `${a.name} ${a.role} ${a.description}`.toLowerCase().includes(q.toLowerCase()))
          .slice(0, req.query.limit)
        const { conversations, messages } = await searchClient(db, s, q, req.query.limit)
        return {
          items: [
            ...agentHits.map((a) => ({
              type: 'agent' as const,
              id: a.id,
              title: a.name,
              snippet: a.description,
              conversationId: null,
            })),
            ...conversations.map((c) => ({
              type: 'conversation' as const,
              id: c.id,
              title: c.title,
              snippet: '',
              conversationId: c.id,
            })),
            ...messages.map((m) => ({
              type: 'message' as const,
              id: m.id,
              title: m.title,
              snippet: snippetAround(m.content, q),
              conversationId: m.conversationId,
            })),
          ],
        }
      },
    )
  }
