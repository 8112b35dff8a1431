import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  AlertDto,
  AlertListQuery,
  AlertPage,
  AlertParams,
  AlertWebhookCreated,
  AlertWebhookPut,
  AlertWebhookState,
  type AlertDto as Alert,
} from '../../../contracts/alerts.ts'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { alertChannel, type AlertsService } from './alerts.service.ts'

export const alertsRoutes =
  ({
    alerts,
    scope,
    streams,
    bus,
    operator,
  }: {
    alerts: AlertsService
    scope: ScopeResolver
    streams: Pick<RunStreams, 'live'>
    bus: Pick<Bus, 'subscribe'>
    operator: OperatorGuard
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const admin = (req: FastifyRequest, id: string) => scope.workspace(req, 'admin', id)

    app.get(
      '/api/workspaces/:id/alerts',
      {
        schema: {
          tags: ['alerts'],
          summary: "The workspace's alerts, newest first (admins), with how many nobody has acknowledged",
          params: IdParam,
          querystring: AlertListQuery,
          response: { 200: AlertPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => alerts.list((await admin(req, req.params.id)).workspaceId, req.query),
    )

    app.post(
      '/api/workspaces/:id/alerts/:alertId/ack',
      {
        schema: {
          tags: ['alerts'],
          summary: 'Acknowledges an alert for the whole workspace (admins); acknowledging again changes nothing',
          params: AlertParams,
          response: { 200: AlertDto, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => alerts.acknowledge(await admin(req, req.params.id), req.params.alertId),
    )

    app.get(
      '/api/workspaces/:id/alerts/stream',
      {
        schema: {
          tags: ['alerts'],
          summary:
            "The workspace's alerts, live (admins): text/event-stream of `ready`, then `alert` (an Alert) as each is " +
            'raised, and `resync` (read the list again: some may have been missed)',
          params: IdParam,
          response: {
            200: z.string().meta({ description: 'text/event-stream: `ready`, `alert`, `resync`' }),
            ...errorResponses(401, 403, 404, 429),
          },
        },
      },
      async (req, reply) => {
        const s = await admin(req, req.params.id)
        await streams.live(reply, s.userId, (send, resync) =>
          bus.subscribe(
            alertChannel(s.workspaceId),
            (message) => {
              const alert = JSON.parse(message) as Alert
              if (alert.workspaceId === s.workspaceId) send('alert', alert)
            },
            resync,
          ),
        )
      },
    )

    app.get(
      '/api/workspaces/:id/alerts/webhook',
      {
        schema: {
          tags: ['alerts'],
          summary: "The workspace's alert webhook (admins), without its secret",
          params: IdParam,
          response: { 200: AlertWebhookState, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => alerts.webhook(await admin(req, req.params.id)),
    )

    app.put(
      '/api/workspaces/:id/alerts/webhook',
      {
        schema: {
          tags: ['alerts'],
          summary:
            'Sets the URL every new alert of the workspace is also posted to (admins; refused for private addresses), ' +
            'with a new signing secret shown only in this answer (`Camarad-Signature: t=…,v1=…`, HMAC-SHA256 of ' +
            '`t.body`). Audited',
          params: IdParam,
          body: AlertWebhookPut,
          response: { 200: AlertWebhookCreated, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => alerts.setWebhook(await admin(req, req.params.id), req.body),
    )

    app.delete(
      '/api/workspaces/:id/alerts/webhook',
      {
        schema: {
          tags: ['alerts'],
          summary: "Removes the workspace's alert webhook (admins). Audited",
          params: IdParam,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await alerts.removeWebhook(await admin(req, req.params.id))
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/api/operator/alerts',
      {
        config: { public: true },
        preValidation: async (req: FastifyRequest) => operator(req),
        schema: {
          tags: ['operator'],
          summary: "The operator's alerts (margin), newest first",
          querystring: PageQuery,
          response: { 200: AlertPage, ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => alerts.list(null, req.query),
    )
  }
