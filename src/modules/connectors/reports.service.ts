import type { Kysely } from 'kysely'
import type {
  AdsReport,
  AdsReportQuery,
  AnalyticsReport,
  AnalyticsReportQuery,
  ConnectionDto,
} from '../../../contracts/connectors.ts'
import { connectorsErrors } from './connectors.errors.ts'
import { demoAdsReport, demoAnalyticsReport } from './demo-data.ts'
import type { ConnectorsTables } from './connectors.tables.ts'
import { toDto, type ClientRef, type Connections } from './connections.service.ts'
import type { GoogleAds } from './google-ads.ts'
import type { GoogleAnalytics } from './google-analytics.ts'
import { previousRange, resolveRange, type ReportCache } from './report-range.ts'
import { statusError } from './tokens.ts'

/** Which connection a caller means: a named one of the client's, or the client's live one. */
export type Which = { connectionId?: string }

/**
 * Reports for a client, the only way other modules (agents' tools, flows' nodes, the war room) read Google's
 * numbers: every call names the client, and a connection is used only under its own client. Nothing is invented:
 * without a usable connection the answer is an error saying so — unless the operator turned demo data on
 * (`demoData`), and then a client with no live connection (never connected, or disconnected) gets sample figures
 * marked `demo: true`. A named connection, or a client whose connection exists, never gets demo data.
 */
export const createReports = ({
  db,
  connections,
  ads,
  analytics,
  cache,
  demoData = false,
}: {
  db: Kysely<ConnectorsTables>
  connections: Connections
  ads: GoogleAds
  analytics: GoogleAnalytics
  cache: ReportCache
  demoData?: boolean
}) => {
  const liveOf = (client: ClientRef) =>
    db
      .selectFrom('connectorConnections')
      .selectAll()
      .where('workspaceId', '=', client.workspaceId)
      .where('clientId', '=', client.clientId)
      .where('status', '<>', 'disconnected')
      .executeTakeFirst()

  /** The connection, checked usable (connected) under this client. */
  const usable = async (client: ClientRef, which: Which) => {
    const row = which.connectionId ? await connections.find(client, which.connectionId) : await liveOf(client)
    if (!row) throw connectorsErrors.not_connected()
    if (row.status !== 'connected') throw statusError(row)
    return row
  }

  /** The connection to read, or `demo` when demo data is on and the client has no live connection. */
  const source = async (client: ClientRef, which: Which) => {
    if (!demoData || which.connectionId) return usable(client, which)
    const row = await liveOf(client)
    if (!row) return 'demo' as const
    if (row.status !== 'connected') throw statusError(row)
    return row
  }
  const previousOf = (q: { compare?: 'previous' | undefined }, range: { from: string; to: string }) =>
    q.compare === 'previous' ? previousRange(range) : null

  return {
    usable,

    /**
     * What a client has connected, for agents and pages that must say "not connected" rather than guess; `demo`:
     * it has none and demo data is on, so its reports are sample figures.
     */
    async statusFor(client: ClientRef): Promise<{ google: ConnectionDto | null; demo: boolean }> {
      const row = await liveOf(client)
      return { google: row ? toDto(row) : null, demo: demoData && !row }
    },

    adsAccounts: async (client: ClientRef, which: Which) => ads.accounts((await usable(client, which)).id),

    analyticsProperties: async (client: ClientRef, which: Which) =>
      analytics.properties((await usable(client, which)).id),

    async ads(client: ClientRef, q: Which & Partial<AdsReportQuery>): Promise<AdsReport> {
      const row = await source(client, q)
      if (row === 'demo') {
        const kind = q.kind ?? 'campaigns'
        const range = resolveRange(q)
        const current = demoAdsReport(client.clientId, kind, range)
        const prev = previousOf(q, range)
        return {
          kind,
          customerId: 'demo',
          currency: current.currency,
          range,
          rows: current.rows,
          totals: current.totals,
          previous: prev ? { range: prev, totals: demoAdsReport(client.clientId, kind, prev).totals } : null,
          demo: true,
          cached: false,
        }
      }
      if (!row.adsCustomerId) throw connectorsErrors.ads_account_required()
      const account = { customerId: row.adsCustomerId, loginCustomerId: row.adsLoginCustomerId }
      const kind = q.kind ?? 'campaigns'
      const range = resolveRange(q)
      const key = (r: { from: string; to: string }) =>
        `${row.id}|ads|${account.customerId}|${account.loginCustomerId ?? ''}|${kind}|${r.from}|${r.to}`
      const current = await cache.get(key(range), () => ads.report(row.id, account, kind, range))
      let previous: AdsReport['previous'] = null
      if (q.compare === 'previous') {
        const prev = previousRange(range)
        const p = await cache.get(key(prev), () => ads.report(row.id, account, kind, prev))
        previous = { range: prev, totals: p.value.totals }
      }
      return {
        kind,
        customerId: account.customerId,
        currency: current.value.currency,
        range,
        rows: current.value.rows,
        totals: current.value.totals,
        previous,
        demo: false,
        cached: current.cached,
      }
    },

    async analytics(client: ClientRef, q: Which & Partial<AnalyticsReportQuery>): Promise<AnalyticsReport> {
      const row = await source(client, q)
      if (row === 'demo') {
        const kind = q.kind ?? 'overview'
        const range = resolveRange(q)
        const current = demoAnalyticsReport(client.clientId, kind, range, q.steps)
        const prev = previousOf(q, range)
        return {
          kind,
          propertyId: 'demo',
          range,
          rows: current.rows,
          totals: current.totals,
          previous: prev
            ? { range: prev, totals: demoAnalyticsReport(client.clientId, kind, prev, q.steps).totals }
            : null,
          funnel: current.funnel,
          demo: true,
          cached: false,
        }
      }
      if (!row.analyticsPropertyId) throw connectorsErrors.analytics_property_required()
      const propertyId = row.analyticsPropertyId
      const kind = q.kind ?? 'overview'
      const range = resolveRange(q)
      const steps = q.steps
      const key = (r: { from: string; to: string }) =>
        `${row.id}|ga|${propertyId}|${kind}|${steps?.join(',') ?? ''}|${r.from}|${r.to}`
      const current = await cache.get(key(range), () => analytics.report(row.id, propertyId, kind, range, steps))
      let previous: AnalyticsReport['previous'] = null
      if (q.compare === 'previous') {
        const prev = previousRange(range)
        const p = await cache.get(key(prev), () => analytics.report(row.id, propertyId, kind, prev, steps))
        previous = { range: prev, totals: p.value.totals }
      }
      return {
        kind,
        propertyId,
        range,
        rows: current.value.rows,
        totals: current.value.totals,
        previous,
        funnel: current.value.funnel,
        demo: false,
        cached: current.cached,
      }
    },
  }
}
export type Reports = ReturnType<typeof createReports>
