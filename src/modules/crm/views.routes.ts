import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam } from '../../../contracts/common.ts'
import { ContactViewCreate, ContactViewDto, ContactViewPatch } from '../../../contracts/crm.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, noContent } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { Views } from './views.ts'

const tags = ['crm']

/** Saved views of the contacts list: a member's own, and the ones shared with the client's members. */
export const viewRoutes =
  ({ views, scope }: { views: Views; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const viewScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await views.clientOf(id), crmErrors.view_not_found)

    app.get(
      '/api/crm/views',
      {
        schema: {
          tags,
          summary: "Saved views of the contacts list (X-Client-ID): the caller's own and the ones shared, by name",
          response: { 200: z.object({ items: z.array(ContactViewDto) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => views.list(await scope.clientFromHeader(req, 'viewer')),
    )

    app.post(
      '/api/crm/views',
      {
        schema: {
          tags,
          summary:
            'Save the contacts list filters under a name (members; X-Client-ID), private or shared with the ' +
            "client's members; a name is unique among the caller's views (409 crm.view_name_taken). Audited",
          body: ContactViewCreate,
          response: { 201: ContactViewDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await views.create(await scope.clientFromHeader(req, 'member'), req.body)),
    )

    app.get(
      '/api/crm/views/:id',
      {
        schema: {
          tags,
          summary: "A saved view: the caller's own, or one shared with the client's members",
          params: IdParam,
          response: { 200: ContactViewDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => views.get(await viewScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/crm/views/:id',
      {
        schema: {
          tags,
          summary: "Rename, share or unshare a view, or change its filters (its owner only: another's → 403). Audited",
          params: IdParam,
          body: ContactViewPatch,
          response: { 200: ContactViewDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => views.update(await viewScope(req, req.params.id, 'member'), req.params.id, req.body),
    )

    app.delete(
      '/api/crm/views/:id',
      {
        schema: {
          tags,
          summary:
            "Delete a saved view (its owner only: another's → 403). Views are preferences, not customer records. Audited",
          params: IdParam,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await views.remove(await viewScope(req, req.params.id, 'member'), req.params.id)
        return noContent(reply)
      },
    )
  }
