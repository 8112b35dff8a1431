import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ComposeRequest, ComposeResult, FlowDto, TemplateDto } from '../../../contracts/flows.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Composer, CreateFlow } from './compose.ts'
import { flowsErrors } from './flows.errors.ts'
import type { TemplateGallery } from './templates.ts'

/** A template's id is its file name, not one of our row ids: anything else is simply no such template (404). */
const TemplateParam = z.strictObject({ id: z.string().max(200) })
const TEMPLATE_ID = /^[a-z0-9-]{3,60}$/

/** The template gallery, instantiating a template into a client, and compose-from-a-prompt. */
export const templateRoutes =
  ({
    scope,
    gallery,
    composer,
    create,
  }: {
    scope: ScopeResolver
    gallery: TemplateGallery
    composer: Composer
    create: CreateFlow
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/flows/templates',
      {
        schema: {
          tags: ['flows'],
          summary: 'The template gallery (X-Workspace-ID or X-Client-ID; any member)',
          response: { 200: z.array(TemplateDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        await scope.workspaceOrClient(req, 'viewer')
        return gallery.listTemplates()
      },
    )

    app.post(
      '/api/flows/templates/:id/instantiate',
      {
        schema: {
          tags: ['flows'],
          summary: "Create a flow from a template in the client (X-Client-ID; admins; the plan's flows limit)",
          params: TemplateParam,
          response: { 201: FlowDto, ...errorResponses(400, 401, 402, 403, 404) },
        },
      },
      async (req, reply) => {
        const s = await scope.clientFromHeader(req, 'admin')
        const t = TEMPLATE_ID.test(req.params.id) ? gallery.getTemplate(req.params.id) : undefined
        if (!t) throw flowsErrors.template_not_found()
        const input = { name: t.name, description: t.description, graph: t.graph }
        const flow = await create(s, input, 'template', requestMeta(req), { templateId: t.id })
        return reply.code(201).send(flow)
      },
    )

    app.post(
      '/api/flows/compose',
      {
        schema: {
          tags: ['flows'],
          summary:
            'Compose a flow from a prompt (X-Client-ID; admins; metered): `estimateOnly` answers the most it may cost; ' +
            'otherwise the draft is validated (up to two repair rounds) and created, or refused with its issues (422)',
          body: ComposeRequest,
          response: {
            200: ComposeResult,
            201: ComposeResult,
            ...errorResponses(400, 401, 402, 403, 404, 409, 422, 429, 502, 503),
          },
        },
      },
      async (req, reply) => {
        const s = await scope.clientFromHeader(req, 'admin')
        if (req.body.estimateOnly) return { estimate: await composer.estimate(s, req.body.prompt) }
        const result = await composer.compose(s, req.body.prompt, {
          requestId: req.id,
          tokenId: req.auth?.via === 'token' ? req.auth.tokenId : null,
          meta: requestMeta(req),
        })
        return reply.code(201).send(result)
      },
    )
  }
