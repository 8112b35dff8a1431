import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { authErrors } from '../../platform/http/http.errors.ts'
import { gatewayErrors } from './gateway.errors.ts'
import { hasRole } from '../../platform/http/request-context.ts'
import { errorResponses, requireAuth } from '../../platform/http/route-helpers.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Attribution, GatewayService } from './gateway.service.ts'
import { assertRequestBounds, ChatCompletionRequest } from './openai-format.ts'

const ChatCompletion = z
  .looseObject({
    id: z.string(),
    object: z.string(),
    created: z.number(),
    model: z.string(),
    choices: z.array(z.unknown()),
    usage: z.unknown(),
  })
  .meta({
    id: 'ChatCompletion',
    description:
      'OpenAI chat.completion; with `stream: true`, text/event-stream of chat.completion.chunk then `data: [DONE]`',
  })
const ModelList = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() })),
})

type Deps = {
  gateway: GatewayService
  models: ModelsModule
  scope: ScopeResolver
}

/** The OpenAI-compatible surface: any OpenAI client library works with a Camarad API token as its key. */
export const gatewayRoutes =
  ({ gateway, models, scope }: Deps) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    /** Who pays for the call: the token's binding, else X-Client-ID / X-Workspace-ID, else the caller's only workspace. */
    const attribute = async (req: FastifyRequest): Promise<Attribution> => {
      const auth = requireAuth(req)
      if (auth.via !== 'token') throw gatewayErrors.token_required()
      const who = { userId: auth.userId, tokenId: auth.tokenId, requestId: req.id }
      if (auth.clientId)
        return { ...who, ...(await scope.client(req, 'member', auth.clientId)), clientId: auth.clientId }
      if (auth.workspaceId)
        return {
          ...who,
          workspaceId: (await scope.workspace(req, 'member', auth.workspaceId)).workspaceId,
          clientId: null,
        }
      if (req.headers['x-client-id']) {
        const s = await scope.clientFromHeader(req, 'member')
        return { ...who, workspaceId: s.workspaceId, clientId: s.clientId }
      }
      if (req.headers['x-workspace-id'])
        return { ...who, workspaceId: (await scope.workspace(req, 'member')).workspaceId, clientId: null }
      const mine = await scope.rolesOf(auth.userId, req.arrivedAt)
      if (mine.size !== 1) throw gatewayErrors.workspace_ambiguous({ workspaces: mine.size })
      const [workspaceId, role] = [...mine][0]!
      if (!hasRole(role, 'member')) throw authErrors.forbidden()
      return { ...who, workspaceId, clientId: null }
    }

    app.get(
      '/v1/models',
      {
        schema: {
          tags: ['openai'],
          summary: 'Models available to OpenAI clients',
          response: { 200: ModelList, ...errorResponses(401) },
        },
      },
      async (req) => {
        if (requireAuth(req).via !== 'token') throw gatewayErrors.token_required()
        return {
          object: 'list' as const,
          data: models.catalog().map((m) => ({ id: m.id, object: 'model' as const, created: 0, owned_by: m.provider })),
        }
      },
    )

    app.post(
      '/v1/chat/completions',
      {
        schema: {
          tags: ['openai'],
          body: ChatCompletionRequest,
          response: { 200: ChatCompletion, ...errorResponses(400, 401, 402, 403, 404, 409, 413, 429, 502, 503) },
          summary:
            'OpenAI Chat Completions (streaming and not, tools passed through); metered in credits, idempotent by X-Request-ID',
          description:
            'Headers: `X-Credits-Estimate` (the hold, micro-credits), `X-Credits-Charged` (non-streaming). The ' +
            'same X-Request-ID again returns the first result and charges nothing more; with other parameters it ' +
            'is a 409.',
        },
      },
      async (req, reply) => {
        assertRequestBounds(req.body)
        const who = await attribute(req)
        const resolved = await gateway.resolveModel(who.workspaceId, req.body.model, req.arrivedAt)
        if (!req.body.stream) {
          const { completion, billing } = await gateway.complete(who, resolved, req.body)
          reply
            .header('x-credits-estimate', String(billing.estimate))
            .header('x-credits-charged', String(billing.charged ?? 0n))
          if (billing.replay) reply.header('x-request-replayed', 'true')
          return completion
        }
        const { metered, replayed } = await gateway.meter(who, resolved, req.body, true)
        reply.header('x-credits-estimate', String(metered.hold.amount))
        const abort = new AbortController()
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) abort.abort()
        })
        if (replayed) reply.header('x-request-replayed', 'true').header('x-credits-charged', String(replayed.charged))
        const chunks = replayed
          ? gateway.replayChunks(replayed.completion, Boolean(req.body.stream_options?.include_usage))
          : gateway.stream(who, resolved, metered, req.body, abort.signal)
        // Wait for the model's first answer before committing to a 200: a provider error becomes a normal error response.
        const first = await chunks.next()
        reply.hijack()
        reply.raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
        })
        if (!first.done) reply.raw.write(`data: ${JSON.stringify(first.value)}\n\n`)
        for await (const chunk of chunks) {
          if (abort.signal.aborted) break
          reply.raw.write(`data: ${JSON.stringify(chunk)}\n\n`)
        }
        reply.raw.end('data: [DONE]\n\n')
      },
    )
  }
