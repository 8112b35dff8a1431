import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import { InboxMessagePage, ThreadPage } from '../../../contracts/inbox.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { inboxErrors } from './inbox.errors.ts'
import type { InboxService } from './inbox.service.ts'

export const inboxRoutes =
  ({ inbox, scope }: { inbox: InboxService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const threadScope = async (req: Parameters<ScopeResolver['owner']>[0], id: string, role: 'viewer' | 'member') =>
      scope.owner(req, role, await inbox.clientOfThread(id), inboxErrors.thread_not_found)

    app.get(
      '/api/inbox/threads',
      {
        schema: {
          tags: ['inbox'],
          summary: "The client's WhatsApp conversations, latest activity first (X-Client-ID)",
          querystring: PageQuery,
          response: { 200: ThreadPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => inbox.threads(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.get(
      '/api/inbox/threads/:id/messages',
      {
        schema: {
          tags: ['inbox'],
          summary: "A conversation's messages, newest first",
          params: IdParam,
          querystring: PageQuery,
          response: { 200: InboxMessagePage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => inbox.messages(await threadScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.post(
      '/api/inbox/threads/:id/read',
      {
        schema: {
          tags: ['inbox'],
          summary: 'Mark a conversation read (members)',
          params: IdParam,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await inbox.markRead(await threadScope(req, req.params.id, 'member'), req.params.id)
        return reply.code(204).send(null)
      },
    )
  }
