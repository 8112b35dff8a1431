import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  ChannelAutoReplyBody,
  ChannelAutoReplyDto,
  ChannelLimitsBody,
  ChannelLimitsDto,
  ChannelTemplateList,
} from '../../../contracts/channels.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { channelsErrors } from './channels.errors.ts'
import type { AutoReplySettings } from './auto-reply.ts'
import type { ChannelLimits } from './limits.ts'
import type { Templates } from './templates.ts'

/** What a number sends with: its Cloud templates and its own sending limits. */
export const outboundRoutes =
  ({
    templates,
    limits,
    autoReply,
    clientOf,
    scope,
  }: {
    templates: Templates
    limits: ChannelLimits
    autoReply: AutoReplySettings
    clientOf: (id: string) => Promise<string | undefined>
    scope: ScopeResolver
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const channelScope = async (req: Parameters<ScopeResolver['owner']>[0], id: string, role: 'viewer' | 'admin') =>
      scope.owner(req, role, await clientOf(id), channelsErrors.not_found)

    app.get(
      '/api/channels/:id/templates',
      {
        schema: {
          tags: ['channels'],
          summary: "A Cloud number's message templates, from its WhatsApp Business Account (409 for a QR number)",
          params: IdParam,
          response: { 200: ChannelTemplateList, ...errorResponses(401, 404, 409, 502) },
        },
      },
      async (req) => templates.list(await channelScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.put(
      '/api/channels/:id/limits',
      {
        schema: {
          tags: ['channels'],
          summary:
            "The number's own sending limits: messages a minute, and first messages to new contacts a day (QR); null " +
            "returns to the kind's default, never above its maximum (admins)",
          params: IdParam,
          body: ChannelLimitsBody,
          response: { 200: ChannelLimitsDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const s = await channelScope(req, req.params.id, 'admin')
        const l = await limits.set(s, req.params.id, req.body, requestMeta(req))
        return { kind: l.kind, perSecond: l.perSecond, burst: l.burst, newContactsPerDay: l.newContactsPerDay }
      },
    )

    app.put(
      '/api/channels/:id/auto-reply',
      {
        schema: {
          tags: ['channels'],
          summary:
            "Answer the number's contacts with an agent of the client (null: the customer-support agent), metered like " +
            'a suggested reply; a person writing in a conversation pauses it there (admins)',
          params: IdParam,
          body: ChannelAutoReplyBody,
          response: { 200: ChannelAutoReplyDto, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (req) =>
        autoReply.set(await channelScope(req, req.params.id, 'admin'), req.params.id, req.body, requestMeta(req)),
    )
  }
