import { z } from 'zod'
import { Id, Timestamp } from './common.ts'

/**
 * Google connections per client (ADR 0007): OAuth per client, then Google Ads (an account, through a manager when
 * needed) and a GA4 property picked on the connection. Figures are exact: int64 values and micros stay strings.
 */

export const ConnectionStatus = z.enum(['connected', 'reconnect_required', 'disconnected']).meta({
  description:
    '`connected`; `reconnect_required`: Google refused the stored grant (revoked or expired), connect again; ' +
    '`disconnected`: disconnected here (kept for the record)',
})

export const ConnectionDto = z
  .object({
    id: z.string(),
    clientId: z.string(),
    provider: z.literal('google'),
    status: ConnectionStatus,
    statusReason: z.string().nullable(),
    scopes: z.array(z.string()),
    ads: z
      .object({ customerId: z.string(), loginCustomerId: z.string().nullable(), name: z.string().nullable() })
      .nullable(),
    analytics: z.object({ propertyId: z.string(), name: z.string().nullable() }).nullable(),
    connectedAt: Timestamp,
    lastRefreshedAt: Timestamp.nullable(),
    disconnectedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Connection' })
export type ConnectionDto = z.infer<typeof ConnectionDto>

export const ConnectionList = z.object({
  items: z.array(ConnectionDto),
  demo: z.boolean().meta({
    description:
      'true: the client has no live connection and this server serves demo data (CONNECTORS_DEMO_DATA): its reports ' +
      '(`/api/connectors/reports/…`, the agents’ tools, the flow nodes) are sample figures marked `demo: true`',
  }),
})

export const ConnectionsQuery = z.strictObject({ clientId: Id.optional() })

export const GoogleStart = z.strictObject({ clientId: Id }).meta({ id: 'GoogleConnectStart' })
export const GoogleStartAnswer = z.object({ url: z.url() })

/** Google Ads customer ids: 10 digits (dashes as Google shows them are accepted and dropped). */
export const CustomerId = z
  .string()
  .trim()
  .transform((v) => v.replace(/-/g, ''))
  .pipe(z.string().regex(/^\d{10}$/, 'Use the 10-digit customer id (123-456-7890).'))

export const AdsAccount = z.object({
  customerId: z.string(),
  name: z.string().nullable(),
  manager: z.boolean(),
  currency: z.string().nullable(),
  timeZone: z.string().nullable(),
  /** The manager to send as `login-customer-id` (null: the account is accessible directly). */
  loginCustomerId: z.string().nullable(),
  level: z.number().int(),
})
export const AdsAccountList = z.object({
  items: z.array(AdsAccount),
  /** Accessible customers Google refused to describe (e.g. not enabled), with its reason. */
  unavailable: z.array(z.object({ customerId: z.string(), code: z.string(), message: z.string() })),
})
export const AdsAccountPick = z.strictObject({ customerId: CustomerId, loginCustomerId: CustomerId.nullish() })

const IsoDate = z.iso.date()
export const AdsReportKind = z.enum(['campaigns', 'adgroups', 'keywords'])
export const ReportRangeQuery = {
  from: IsoDate.optional().meta({ description: 'First day (YYYY-MM-DD); default: 30 days before `to`' }),
  to: IsoDate.optional().meta({ description: 'Last day (YYYY-MM-DD); default: yesterday (UTC)' }),
  compare: z.enum(['previous']).optional().meta({ description: '`previous`: the same number of days just before' }),
}
/** Named ranges for agents' tools and flow nodes, each ending yesterday (UTC). */
export const REPORT_PRESETS = ['yesterday', 'last_7_days', 'last_14_days', 'last_30_days', 'last_90_days'] as const
export const AdsReportQuery = z.strictObject({ kind: AdsReportKind.default('campaigns'), ...ReportRangeQuery })
export type AdsReportQuery = z.infer<typeof AdsReportQuery>
/** A client's report, whatever reads it: its live connection's, or demo data when the server serves it. */
export const ClientAdsReportQuery = AdsReportQuery.extend({ clientId: Id.optional() })

/** Exact figures: integers and micros as digit strings, decimals as decimal strings (never floats). */
export const AdsMetrics = z.object({
  impressions: z.string(),
  clicks: z.string(),
  costMicros: z.string(),
  conversions: z.string(),
  conversionsValue: z.string(),
  /** clicks / impressions, 4 decimals; null without impressions. */
  ctr: z.string().nullable(),
  averageCpcMicros: z.string().nullable(),
  /** Cost per conversion in micros; null without conversions. */
  cpaMicros: z.string().nullable(),
  /** Conversion value / cost, 4 decimals; null without cost. */
  roas: z.string().nullable(),
})
export type AdsMetrics = z.infer<typeof AdsMetrics>
export const DateRange = z.object({ from: z.string(), to: z.string() })
export const AdsReport = z
  .object({
    kind: AdsReportKind,
    customerId: z.string(),
    currency: z.string().nullable(),
    range: DateRange,
    rows: z.array(
      z
        .object({ id: z.string(), name: z.string(), status: z.string().nullable(), parent: z.string().nullable() })
        .extend({ metrics: AdsMetrics }),
    ),
    totals: AdsMetrics,
    previous: z.object({ range: DateRange, totals: AdsMetrics }).nullable(),
    /** true: sample figures of the demo-data mode (CONNECTORS_DEMO_DATA), shown as "Demo data", never Google's. */
    demo: z.boolean(),
    cached: z.boolean(),
  })
  .meta({ id: 'AdsReport' })
export type AdsReport = z.infer<typeof AdsReport>

export const AnalyticsProperty = z.object({
  propertyId: z.string(),
  name: z.string(),
  account: z.string(),
  accountName: z.string(),
})
export const AnalyticsPropertyList = z.object({ items: z.array(AnalyticsProperty) })
export const AnalyticsPropertyPick = z.strictObject({
  propertyId: z
    .string()
    .trim()
    .transform((v) => v.replace(/^properties\//, ''))
    .pipe(z.string().regex(/^\d{1,20}$/, 'Use the numeric GA4 property id.')),
})

export const AnalyticsReportKind = z.enum(['overview', 'pages', 'sources', 'events', 'funnel', 'audience'])
const EventName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'A GA4 event name')
export const AnalyticsReportQuery = z.strictObject({
  kind: AnalyticsReportKind.default('overview'),
  ...ReportRangeQuery,
  steps: z
    .string()
    .max(500)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(EventName).min(2).max(10))
    .optional()
    .meta({ description: 'funnel: event names in order, comma-separated (default page_view,…,purchase)' }),
})
export type AnalyticsReportQuery = z.infer<typeof AnalyticsReportQuery>
export const ClientAnalyticsReportQuery = AnalyticsReportQuery.extend({ clientId: Id.optional() })

const AnalyticsRow = z.object({
  dimensions: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.string()),
})
export const AnalyticsReport = z
  .object({
    kind: AnalyticsReportKind,
    propertyId: z.string(),
    range: DateRange,
    rows: z.array(AnalyticsRow),
    totals: z.record(z.string(), z.string()),
    previous: z.object({ range: DateRange, totals: z.record(z.string(), z.string()) }).nullable(),
    /** funnel: each step's users and its share of the step before (4 decimals). */
    funnel: z.array(z.object({ event: z.string(), users: z.string(), fromPrevious: z.string().nullable() })).nullable(),
    /** true: sample figures of the demo-data mode (CONNECTORS_DEMO_DATA), shown as "Demo data", never Google's. */
    demo: z.boolean(),
    cached: z.boolean(),
  })
  .meta({ id: 'AnalyticsReport' })
export type AnalyticsReport = z.infer<typeof AnalyticsReport>
