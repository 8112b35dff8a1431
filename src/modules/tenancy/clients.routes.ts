import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam, page } from '../../../contracts/common.ts'
import { ClientCreate, ClientDto, ClientListQuery, ClientPatch } from '../../../contracts/tenancy.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ClientService } from './clients.service.ts'
import type { ScopeResolver } from './scope.ts'

export const clientRoutes =
  ({ clients, scope }: { clients: ClientService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/clients',
      {
        schema: {
          tags: ['clients'],
          summary: 'Clients of the workspace in X-Workspace-ID, newest first',
          querystring: ClientListQuery,
          response: { 200: page(ClientDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => clients.list(await scope.workspace(req, 'viewer'), req.query),
    )

    app.post(
      '/api/clients',
      {
        schema: {
          tags: ['clients'],
          summary: 'Add a client to the workspace in X-Workspace-ID (members)',
          body: ClientCreate,
          response: { 201: ClientDto, ...errorResponses(400, 401, 402, 403, 404) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await clients.create(await scope.workspace(req, 'member'), req.body, requestMeta(req))),
    )

    app.get(
      '/api/clients/:id',
      {
        schema: {
          tags: ['clients'],
          summary: 'A client',
          params: IdParam,
          response: { 200: ClientDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => clients.get(await scope.client(req, 'viewer', req.params.id)),
    )

    app.patch(
      '/api/clients/:id',
      {
        schema: {
          tags: ['clients'],
          summary: 'Change a client (members)',
          params: IdParam,
          body: ClientPatch,
          response: { 200: ClientDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => clients.update(await scope.client(req, 'member', req.params.id), req.body),
    )

    app.post(
      '/api/clients/:id/archive',
      {
        schema: {
          tags: ['clients'],
          summary: 'Archive a client (admins); archived clients are kept, never deleted',
          params: IdParam,
          response: { 200: ClientDto, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => clients.archive(await scope.client(req, 'admin', req.params.id), requestMeta(req)),
    )
  }
