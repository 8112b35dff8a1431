import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  CampaignCreate,
  CampaignDto,
  CampaignListQuery,
  CampaignPage,
  CampaignPatch,
  CampaignPreviewBody,
  CampaignPreviewDto,
  ConsentDto,
  OptInBody,
  RecipientPage,
  RecipientQuery,
} from '../../../contracts/crm-campaigns.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Campaigns } from './campaigns.ts'
import { crmErrors } from './crm.errors.ts'
import type { OptOuts } from './opt-outs.ts'

const tags = ['crm']

export const campaignRoutes =
  ({
    campaigns,
    optOuts,
    clientOfContact,
    scope,
  }: {
    campaigns: Campaigns
    optOuts: OptOuts
    clientOfContact: (id: string) => Promise<string | undefined>
    scope: ScopeResolver
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    /** A campaign's own client decides access: unknown, or another client's → 404. */
    const campaignScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await campaigns.clientOf(id), crmErrors.campaign_not_found)
    const contactScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await clientOfContact(id), crmErrors.contact_not_found)

    app.get(
      '/api/crm/campaigns',
      {
        schema: {
          tags,
          summary: "The client's campaigns, newest first, with their per-state statistics (X-Client-ID)",
          querystring: CampaignListQuery,
          response: { 200: CampaignPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => campaigns.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.post(
      '/api/crm/campaigns',
      {
        schema: {
          tags,
          summary:
            'A campaign draft (members; X-Client-ID): a number of the client, a segment and a message — an approved ' +
            'template on a Cloud API number, a text on a QR-paired one. Audited',
          body: CampaignCreate,
          response: { 201: CampaignDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await campaigns.create(await scope.clientFromHeader(req, 'member'), req.body, requestMeta(req))),
    )

    app.get(
      '/api/crm/campaigns/:id',
      {
        schema: {
          tags,
          summary: 'A campaign with its per-state statistics (delivery states as WhatsApp reported them)',
          params: IdParam,
          response: { 200: CampaignDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => campaigns.get(await campaignScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/crm/campaigns/:id',
      {
        schema: {
          tags,
          summary: 'Changes a draft (members); a campaign that started is 409',
          params: IdParam,
          body: CampaignPatch,
          response: { 200: CampaignDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => campaigns.update(await campaignScope(req, req.params.id, 'member'), req.params.id, req.body),
    )

    app.post(
      '/api/crm/campaigns/:id/preview',
      {
        schema: {
          tags,
          summary:
            "How many contacts the segment (the campaign's, or `segment` as being edited) reaches now — opted-out " +
            'and unreachable ones left out — and the first 20 of them (members). Writes nothing',
          params: IdParam,
          body: CampaignPreviewBody,
          response: { 200: CampaignPreviewDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) =>
        campaigns.preview(await campaignScope(req, req.params.id, 'member'), req.params.id, req.body.segment),
    )

    app.post(
      '/api/crm/campaigns/:id/start',
      {
        schema: {
          tags,
          summary:
            'Starts a draft (admins): its recipients are frozen now (opted-out and unreachable contacts skipped) and ' +
            "queued through the number's outbox in the background. 402 `plan.limit_reached` when they are more than " +
            "the plan's inbox messages left this month. Audited",
          params: IdParam,
          response: { 200: CampaignDto, ...errorResponses(400, 401, 402, 403, 404, 409, 502) },
        },
      },
      async (req) => campaigns.start(await campaignScope(req, req.params.id, 'admin'), req.params.id, requestMeta(req)),
    )

    app.post(
      '/api/crm/campaigns/:id/cancel',
      {
        schema: {
          tags,
          summary:
            'Stops a campaign (members): recipients not queued yet are skipped; messages already queued are sent. Audited',
          params: IdParam,
          response: { 200: CampaignDto, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req) =>
        campaigns.cancel(await campaignScope(req, req.params.id, 'member'), req.params.id, requestMeta(req)),
    )

    app.get(
      '/api/crm/campaigns/:id/recipients',
      {
        schema: {
          tags,
          summary: "A campaign's recipients in sending order with their state, paged (filter by state)",
          params: IdParam,
          querystring: RecipientQuery,
          response: { 200: RecipientPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => campaigns.recipients(await campaignScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.get(
      '/api/crm/contacts/:id/consent',
      {
        schema: {
          tags,
          summary: 'Whether the contact opted out of campaigns (a STOP message), with its opt-outs and opt-ins',
          params: IdParam,
          response: { 200: ConsentDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => optOuts.consent(await contactScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.post(
      '/api/crm/contacts/:id/opt-in',
      {
        schema: {
          tags,
          summary:
            'Records that an opted-out contact asked to receive campaigns again (admins, with how they asked). The ' +
            'opt-out stays in the history. Audited',
          params: IdParam,
          body: OptInBody,
          response: { 200: ConsentDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) =>
        optOuts.optIn(
          await contactScope(req, req.params.id, 'admin'),
          req.params.id,
          req.body.reason,
          requestMeta(req),
        ),
    )
  }
