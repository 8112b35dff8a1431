import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import { ChannelCreate, ChannelDto, ChannelPage, ChannelQr, PairingCodeRequest } from '../../../contracts/channels.ts'
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

    app.get(
      '/api/channels/:id/qr',
      {
        schema: {
          tags: ['channels'],
          summary: "A QR number's QR code while it waits for a scan (text and SVG; a new one about every 20 s)",
          params: IdParam,
          response: { 200: ChannelQr, ...errorResponses(401, 404, 409) },
        },
      },
      async (req) => channels.qr(await channelScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.post(
      '/api/channels/:id/regenerate-qr',
      {
        schema: {
          tags: ['channels'],
          summary:
            'Show a QR code again: a number whose QRs ran out, one WhatsApp logged out, one that failed, or one ' +
            "logged out here (the plan's channel numbers) (admins)",
          params: IdParam,
          response: { 202: ChannelDto, ...errorResponses(401, 402, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply
          .code(202)
          .send(
            await channels.regenerateQr(
              await channelScope(req, req.params.id, 'admin'),
              req.params.id,
              requestMeta(req),
            ),
          ),
    )

    app.post(
      '/api/channels/:id/pairing-code',
      {
        schema: {
          tags: ['channels'],
          summary:
            'A code to type on the phone instead of scanning (WhatsApp → Linked devices → Link with phone number) ' +
            '(admins)',
          params: IdParam,
          body: PairingCodeRequest,
          response: { 200: z.object({ code: z.string() }), ...errorResponses(400, 401, 403, 404, 409, 503) },
        },
      },
      async (req) =>
        channels.pairingCode(await channelScope(req, req.params.id, 'admin'), req.params.id, req.body.phone),
    )

    app.post(
      '/api/channels/:id/backfill',
      {
        schema: {
          tags: ['channels'],
          summary:
            "Ask the phone for older messages of the number's chats (QR numbers): they arrive over the next minutes, " +
            'not counted as unread (admins)',
          params: IdParam,
          response: { 202: z.object({ requested: z.literal(true) }), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        await channels.backfill(await channelScope(req, req.params.id, 'admin'), req.params.id, requestMeta(req))
        return reply.code(202).send({ requested: true as const })
      },
    )
  }
