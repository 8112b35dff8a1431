import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AgentCreate, AgentDto, AgentPatch } from '../../../contracts/agents.ts'
import { IdParam } from '../../../contracts/common.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { agentNotFound, builtinReadonly, type AgentService } from './agents.service.ts'
import { findBuiltin } from './agents.catalog.ts'

export const agentRoutes = ({ agents, scope }: { agents: AgentService; scope: ScopeResolver }) => async (base: FastifyInstance) => {
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.get('/api/agents', {
    schema: { tags: ['agents'], summary: 'Built-in and workspace agents (X-Client-ID or X-Workspace-ID)', response: { 200: z.object({ items: z.array(AgentDto) }), ...errorResponses(400, 401, 404) } },
  }, async (req) => ({ items: await agents.list(await scope.workspaceOrClient(req, 'viewer')) }))

  app.post('/api/agents', {
    schema: { tags: ['agents'], summary: 'Create a workspace agent (members; X-Workspace-ID)', body: AgentCreate, response: { 201: AgentDto, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req, reply) => reply.code(201).send(await agents.create(await scope.workspace(req, 'member'), req.body)))

  app.patch('/api/agents/:id', {
    schema: { tags: ['agents'], summary: 'Change or archive a workspace agent (members)', params: IdParam, body: AgentPatch, response: { 200: AgentDto, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    // The agent's own workspace decides access: a foreign or unknown id is "not found".
    const workspaceId = await agents.workspaceOf(req.params.id)
    if (!workspaceId) throw findBuiltin(req.params.id) ? builtinReadonly() : agentNotFound()
    return agents.update(await scope.workspace(req, 'member', workspaceId), req.params.id, req.body)
  })
}
