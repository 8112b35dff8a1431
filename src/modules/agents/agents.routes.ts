import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AgentCreate, AgentDto, AgentPatch, BuiltinOverride } from '../../../contracts/agents.ts'
import { Id } from '../../../contracts/common.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import { agentsErrors } from './agents.errors.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { AgentService } from './agents.service.ts'
import { findBuiltin } from './agents.catalog.ts'

/** A workspace agent's id, or a built-in's (`builtin.copywriter`). */
const AgentIdParam = z.strictObject({ id: z.union([Id, z.string().regex(/^builtin\.[a-z0-9-]{1,60}$/)]) })

/** The PATCH body is either shape; the agent it addresses decides which one applies. */
const parseAs = <T>(schema: z.ZodType<T>, body: unknown): T => {
  const r = schema.safeParse(body)
  if (!r.success)
    throw requestErrors.invalid({
      problem: r.error.issues.map((i) => `body.${i.path.join('.')} ${i.message}`).join('; '),
      issues: r.error.issues,
    })
  return r.data
}

export const agentRoutes =
  ({ agents, scope }: { agents: AgentService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/agents',
      {
        schema: {
          tags: ['agents'],
          summary: 'Built-in and workspace agents (X-Client-ID or X-Workspace-ID)',
          querystring: z.strictObject({ archived: z.enum(['include', 'exclude']).default('exclude') }),
          response: { 200: z.object({ items: z.array(AgentDto) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => ({
        items: await agents.list(
          req.headers['x-client-id']
            ? await scope.clientFromHeader(req, 'viewer')
            : await scope.workspace(req, 'viewer'),
          { archived: req.query.archived === 'include' },
        ),
      }),
    )

    app.post(
      '/api/agents',
      {
        schema: {
          tags: ['agents'],
          summary: 'Create a workspace agent (members; X-Workspace-ID)',
          body: AgentCreate,
          response: { 201: AgentDto, ...errorResponses(400, 401, 402, 403, 404, 409) },
        },
      },
      async (req, reply) => reply.code(201).send(await agents.create(await scope.workspace(req, 'member'), req.body)),
    )

    app.patch(
      '/api/agents/:id',
      {
        schema: {
          tags: ['agents'],
          summary:
            'Change or archive a workspace agent; or, with X-Client-ID, adjust a built-in agent for that client (members)',
          params: AgentIdParam,
          body: z.union([AgentPatch, BuiltinOverride]),
          response: { 200: AgentDto, ...errorResponses(400, 401, 402, 403, 404, 409) },
        },
      },
      async (req) => {
        if (findBuiltin(req.params.id)) {
          if (!req.headers['x-client-id']) throw agentsErrors.builtin_readonly()
          return agents.overrideBuiltin(
            await scope.clientFromHeader(req, 'member'),
            req.params.id,
            parseAs(BuiltinOverride, req.body),
          )
        }
        // The agent's own workspace decides access: a foreign or unknown id is "not found".
        const workspaceId = await agents.workspaceOf(req.params.id)
        if (!workspaceId) throw agentsErrors.not_found()
        return agents.update(
          await scope.workspace(req, 'member', workspaceId),
          req.params.id,
          parseAs(AgentPatch, req.body),
        )
      },
    )
  }
