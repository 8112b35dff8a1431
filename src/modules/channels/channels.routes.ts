import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import { ChannelCreate, ChannelDto, ChannelPage } from '../../../contracts/channels.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { channelsErrors } from './channels.errors.ts'
import type { ChannelsService } from './channels.service.ts'

export const channelRoutes =
  ({ channels, scope }: { channels: ChannelsService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const channelScope = async (req: Parameters<ScopeResolver['owner']>[0], id: string, role: 'viewer' | 'admin') =>
      scope.owner(req, role, await channels.clientOf(id), channelsErrors.not_found)

    app.post(
      '/api/channels',
      {
        schema: {
          tags: ['channels'],
          summary:
            "Add a WhatsApp number: `qr` (paired by scanning) or `cloud` (Meta's Cloud API; the token is sealed, never " +
            "shown again) (X-Client-ID; admins; the plan's channel numbers)",
          body: ChannelCreate,
          response: { 201: ChannelDto, ...errorResponses(400, 401, 402, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await channels.create(await scope.clientFromHeader(req, 'admin'), req.body, requestMeta(req))),
    )

    app.get(
      '/api/channels',
      {
        schema: {
          tags: ['channels'],
          summary: "The client's WhatsApp numbers, newest first (X-Client-ID)",
          querystring: PageQuery,
          response: { 200: ChannelPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => channels.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.get(
      '/api/channels/:id',
      {
        schema: {
          tags: ['channels'],
          summary: 'A WhatsApp number and its status',
          params: IdParam,
          response: { 200: ChannelDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => channels.get(await channelScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.post(
      '/api/channels/:id/logout',
      {
        schema: {
          tags: ['channels'],
          summary:
            'Log the number out here: a QR number forgets its pairing (scan again to use it), a Cloud number stops; ' +
            'its messages stay (admins)',
          params: IdParam,
          response: { 200: ChannelDto, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req) => channels.logout(await channelScope(req, req.params.id, 'admin'), req.params.id, requestMeta(req)),
    )
  }
