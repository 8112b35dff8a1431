import type { z } from 'zod'
import type {
  AdsAccount,
  AdsAccountList,
  AdsReport,
  AdsReportKind,
  AnalyticsPropertyList,
  AnalyticsReport,
  AnalyticsReportKind,
  ConnectionDto,
  ConnectionList,
  GoogleStartAnswer,
} from '../../../../contracts/connectors.ts'
import { api } from '../../lib/api.ts'

export type Connection = ConnectionDto
export type AdsAccountItem = z.infer<typeof AdsAccount>
export type AdsAccounts = z.infer<typeof AdsAccountList>
export type AnalyticsProperties = z.infer<typeof AnalyticsPropertyList>
export type AdsKind = z.infer<typeof AdsReportKind>
export type AnalyticsKind = z.infer<typeof AnalyticsReportKind>
/** Reports as the API sends them; `demo` is true when the operator serves demo figures. */
export type AdsReportData = AdsReport
export type AnalyticsReportData = AnalyticsReport
export type ReportRange = { from: string; to: string; compare: boolean }

export const connectorKeys = {
  all: (clientId: string) => ['connectors', clientId] as const,
  list: (clientId: string) => ['connectors', clientId, 'list'] as const,
  adsAccounts: (clientId: string, id: string) => ['connectors', clientId, id, 'ads-accounts'] as const,
  properties: (clientId: string, id: string) => ['connectors', clientId, id, 'properties'] as const,
  report: (clientId: string, id: string | null, source: 'ads' | 'analytics', kind: string, r: ReportRange) =>
    ['connectors', clientId, id ?? 'client', source, kind, r.from, r.to, r.compare] as const,
}

const path = (id: string, rest: string) => `/api/connectors/${encodeURIComponent(id)}/${rest}`
const rangeQuery = (r: ReportRange) => ({ from: r.from, to: r.to, compare: r.compare ? 'previous' : undefined })

export const listConnections = (clientId: string, signal?: AbortSignal) =>
  api<z.infer<typeof ConnectionList>>('/api/connectors', { clientId, query: { clientId }, signal })

/** Answers Google's consent URL; the browser goes there and comes back through the API's callback. */
export const startGoogle = (clientId: string) =>
  api<z.infer<typeof GoogleStartAnswer>>('/api/connectors/google/start', {
    method: 'POST',
    clientId,
    body: { clientId },
  })

export const disconnect = (clientId: string, id: string) =>
  api<Connection>(path(id, 'disconnect'), { method: 'POST', clientId })

export const listAdsAccounts = (clientId: string, id: string, signal?: AbortSignal) =>
  api<AdsAccounts>(path(id, 'ads/accounts'), { clientId, signal })

export const pickAdsAccount = (
  clientId: string,
  id: string,
  body: { customerId: string; loginCustomerId: string | null },
) => api<Connection>(path(id, 'ads/account'), { method: 'PUT', clientId, body })

export const listProperties = (clientId: string, id: string, signal?: AbortSignal) =>
  api<AnalyticsProperties>(path(id, 'analytics/properties'), { clientId, signal })

export const pickProperty = (clientId: string, id: string, propertyId: string) =>
  api<Connection>(path(id, 'analytics/property'), { method: 'PUT', clientId, body: { propertyId } })

/** A connection's report; `id` null: the client's own (its live connection's, or the operator's demo data). */
const reportPath = (id: string | null, source: 'ads' | 'analytics') =>
  id === null ? `/api/connectors/reports/${source}` : path(id, `${source}/report`)

export const adsReport = (clientId: string, id: string | null, kind: AdsKind, r: ReportRange, signal?: AbortSignal) =>
  api<AdsReportData>(reportPath(id, 'ads'), { clientId, query: { kind, ...rangeQuery(r) }, signal })

export const analyticsReport = (
  clientId: string,
  id: string | null,
  kind: AnalyticsKind,
  r: ReportRange,
  signal?: AbortSignal,
) => api<AnalyticsReportData>(reportPath(id, 'analytics'), { clientId, query: { kind, ...rangeQuery(r) }, signal })
