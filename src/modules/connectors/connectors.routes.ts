import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  AdsAccountList,
  AdsAccountPick,
  AdsReport,
  AdsReportQuery,
  AnalyticsPropertyList,
  AnalyticsPropertyPick,
  AnalyticsReport,
  AnalyticsReportQuery,
  ClientAdsReportQuery,
  ClientAnalyticsReportQuery,
  ConnectionDto,
  ConnectionList,
  ConnectionsQuery,
} from '../../../contracts/connectors.ts'
import type { Role } from '../../platform/db/columns.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { ConnectionRow } from './connectors.tables.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { connectorsErrors } from './connectors.errors.ts'
import { toDto, type Connections } from './connections.service.ts'
import type { Reports } from './reports.service.ts'

const tags = ['connectors']
/** Google said no, or is out of quota or reach: each with its code (429 and 503 with Retry-After). */
const GOOGLE_ERRORS = [409, 422, 429, 502, 503] as const

export const connectorsRoutes =
  ({
    connections,
    reports,
    scope,
    disconnect,
    forget,
  }: {
    connections: Connections
    reports: Reports
    scope: ScopeResolver
    disconnect: (scope: ClientScope, id: string, req: FastifyRequest) => Promise<ConnectionRow>
    forget: (connectionId: string) => void
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    /** A connection's own client decides access: another client's connection is a 404. */
    const owned = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await connections.clientOf(id), connectorsErrors.not_found)
    /** The client named by `clientId`, or by X-Client-ID. */
    const clientOf = (req: FastifyRequest, clientId: string | undefined) =>
      clientId ? scope.client(req, 'viewer', clientId) : scope.clientFromHeader(req, 'viewer')

    app.get(
      '/api/connectors',
      {
        schema: {
          tags,
          summary: "The client's connections and their status (`clientId`, or X-Client-ID)",
          querystring: ConnectionsQuery,
          response: { 200: ConnectionList, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const s = await clientOf(req, req.query.clientId)
        return { ...(await connections.list(s)), demo: (await reports.statusFor(s)).demo }
      },
    )

    // A client's reports without naming a connection: its live one's, or demo data (a client without a connection
    // has no connection id to address), or 409 not_connected — what the agents' tools and the flow nodes read.
    app.get(
      '/api/connectors/reports/ads',
      {
        schema: {
          tags,
          summary:
            "The client's Google Ads figures through its live connection (`clientId`, or X-Client-ID); demo data " +
            '(`demo: true`) when it has none and the server serves demo data',
          querystring: ClientAdsReportQuery,
          response: { 200: AdsReport, ...errorResponses(400, 401, 403, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) => {
        const { clientId, ...q } = req.query
        return reports.ads(await clientOf(req, clientId), q)
      },
    )

    app.get(
      '/api/connectors/reports/analytics',
      {
        schema: {
          tags,
          summary:
            "The client's GA4 figures through its live connection (`clientId`, or X-Client-ID); demo data " +
            '(`demo: true`) when it has none and the server serves demo data',
          querystring: ClientAnalyticsReportQuery,
          response: { 200: AnalyticsReport, ...errorResponses(400, 401, 403, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) => {
        const { clientId, ...q } = req.query
        return reports.analytics(await clientOf(req, clientId), q)
      },
    )

    app.get(
      '/api/connectors/:id',
      {
        schema: {
          tags,
          summary: 'A connection',
          params: IdParam,
          response: { 200: ConnectionDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => toDto(await connections.find(await owned(req, req.params.id, 'viewer'), req.params.id)),
    )

    app.post(
      '/api/connectors/:id/disconnect',
      {
        schema: {
          tags,
          summary: 'Disconnect: the grant is revoked at Google and the connection kept as disconnected (admins)',
          params: IdParam,
          response: { 200: ConnectionDto, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req) => {
        const s = await owned(req, req.params.id, 'admin')
        const row = await disconnect(s, req.params.id, req)
        forget(req.params.id)
        return toDto(row)
      },
    )

    app.get(
      '/api/connectors/:id/ads/accounts',
      {
        schema: {
          tags,
          summary:
            'Google Ads accounts this login reaches: each accessible account and, through managers, their children',
          params: IdParam,
          response: { 200: AdsAccountList, ...errorResponses(401, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) => reports.adsAccounts(await owned(req, req.params.id, 'viewer'), { connectionId: req.params.id }),
    )

    app.put(
      '/api/connectors/:id/ads/account',
      {
        schema: {
          tags,
          summary: 'Pick the Google Ads account (and the manager to go through) the reports read (admins)',
          params: IdParam,
          body: AdsAccountPick,
          response: { 200: ConnectionDto, ...errorResponses(400, 401, 403, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) => {
        const s = await owned(req, req.params.id, 'admin')
        const { items } = await reports.adsAccounts(s, { connectionId: req.params.id })
        const login = req.body.loginCustomerId ?? null
        const found = items.find(
          (a) =>
            a.customerId === req.body.customerId &&
            (a.loginCustomerId === login || (login === null && a.loginCustomerId === null)),
        )
        if (!found) throw connectorsErrors.ads_account_unknown()
        forget(req.params.id)
        return toDto(
          await connections.pick(
            s,
            req.params.id,
            { adsCustomerId: found.customerId, adsLoginCustomerId: found.loginCustomerId, adsCustomerName: found.name },
            requestMeta(req),
          ),
        )
      },
    )

    app.get(
      '/api/connectors/:id/ads/report',
      {
        schema: {
          tags,
          summary:
            'Google Ads figures for a range (campaigns, ad groups or keywords; optionally against the previous period); ' +
            'exact: int64 and micros as strings',
          params: IdParam,
          querystring: AdsReportQuery,
          response: { 200: AdsReport, ...errorResponses(400, 401, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) =>
        reports.ads(await owned(req, req.params.id, 'viewer'), { connectionId: req.params.id, ...req.query }),
    )

    app.get(
      '/api/connectors/:id/analytics/properties',
      {
        schema: {
          tags,
          summary: 'GA4 properties this login reads (the Admin API’s account summaries)',
          params: IdParam,
          response: { 200: AnalyticsPropertyList, ...errorResponses(401, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) =>
        reports.analyticsProperties(await owned(req, req.params.id, 'viewer'), { connectionId: req.params.id }),
    )

    app.put(
      '/api/connectors/:id/analytics/property',
      {
        schema: {
          tags,
          summary: 'Pick the GA4 property the reports read (admins)',
          params: IdParam,
          body: AnalyticsPropertyPick,
          response: { 200: ConnectionDto, ...errorResponses(400, 401, 403, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) => {
        const s = await owned(req, req.params.id, 'admin')
        const { items } = await reports.analyticsProperties(s, { connectionId: req.params.id })
        const found = items.find((p) => p.propertyId === req.body.propertyId)
        if (!found) throw connectorsErrors.analytics_property_unknown()
        forget(req.params.id)
        return toDto(
          await connections.pick(
            s,
            req.params.id,
            { analyticsPropertyId: found.propertyId, analyticsPropertyName: found.name },
            requestMeta(req),
          ),
        )
      },
    )

    app.get(
      '/api/connectors/:id/analytics/report',
      {
        schema: {
          tags,
          summary:
            'GA4 figures for a range: overview, pages, sources, events, or a funnel of event steps; optionally against ' +
            'the previous period',
          params: IdParam,
          querystring: AnalyticsReportQuery,
          response: { 200: AnalyticsReport, ...errorResponses(400, 401, 404, ...GOOGLE_ERRORS) },
        },
      },
      async (req) =>
        reports.analytics(await owned(req, req.params.id, 'viewer'), { connectionId: req.params.id, ...req.query }),
    )
  }
