import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ChannelDashboard } from '../../../contracts/inbox.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Dashboard } from './dashboard.ts'

export const dashboardRoutes =
  ({ dashboard, scope }: { dashboard: Dashboard; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    // A static path: Fastify prefers it to the channels module's `/api/channels/:id`.
    app.get(
      '/api/channels/dashboard',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "The client's WhatsApp numbers with their traffic: queued, the last day's sent / delivered / read / failed, " +
            'dead letters, last messages in and out, and the sending rate (X-Client-ID)',
          response: { 200: ChannelDashboard, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => dashboard.of(await scope.clientFromHeader(req, 'viewer')),
    )
  }
