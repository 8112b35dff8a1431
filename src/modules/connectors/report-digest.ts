import { REPORT_PRESETS, type AdsMetrics, type AdsReport, type AnalyticsReport } from '../../../contracts/connectors.ts'
import type { ClientRef } from './connections.service.ts'
import { fromMillionths } from './decimal.ts'
import type { Range } from './report-range.ts'
import type { Reports } from './reports.service.ts'

/** Named ranges the agents' tools and the flows' nodes accept; each ends yesterday (UTC), today being unfinished. */
export type ReportPreset = (typeof REPORT_PRESETS)[number]
const PRESET_DAYS: Record<ReportPreset, number> = {
  yesterday: 1,
  last_7_days: 7,
  last_14_days: 14,
  last_30_days: 30,
  last_90_days: 90,
}

/** What a digest of demo data says, so an agent's answer and a flow's trace say it too ("Demo data"). */
export const DEMO_NOTICE =
  "Demo data: sample figures, not this client's real Google numbers (Google is not connected for this client). " +
  'Say "Demo data" wherever you use them.'
const demoLabel = (demo: boolean) => (demo ? { demo: true, notice: DEMO_NOTICE } : { demo: false })

/** Rows a digest carries: enough to explain a change, few enough for a model's context and a flow's trace. */
export const DIGEST_ROWS = 20

const DAY_MS = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10)

export const presetRange = (preset: ReportPreset, today: Date): Range => {
  const todayMs = Date.parse(`${today.toISOString().slice(0, 10)}T00:00:00Z`)
  return { from: iso(todayMs - PRESET_DAYS[preset] * DAY_MS), to: iso(todayMs - DAY_MS) }
}

/** What to report: explicit dates win over a preset; neither means the last 30 days. */
export type DigestQuery<K extends string> = {
  kind?: K | undefined
  preset?: ReportPreset | undefined
  from?: string | undefined
  to?: string | undefined
  compare?: boolean | undefined
}

const rangeOf = (q: DigestQuery<string>, today: Date): { from?: string; to?: string } =>
  q.from || q.to
    ? { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) }
    : presetRange(q.preset ?? 'last_30_days', today)

/** Ads metrics in the account's currency units (exact decimal strings, from the micros), as a person reads them. */
const readable = (m: AdsMetrics) => ({
  impressions: m.impressions,
  clicks: m.clicks,
  cost: fromMillionths(BigInt(m.costMicros)),
  conversions: m.conversions,
  conversionsValue: m.conversionsValue,
  ctr: m.ctr,
  averageCpc: m.averageCpcMicros === null ? null : fromMillionths(BigInt(m.averageCpcMicros)),
  cpa: m.cpaMicros === null ? null : fromMillionths(BigInt(m.cpaMicros)),
  roas: m.roas,
})

const byCost = (a: AdsReport['rows'][number], b: AdsReport['rows'][number]) => {
  const d = BigInt(b.metrics.costMicros) - BigInt(a.metrics.costMicros)
  return d > 0n ? 1 : d < 0n ? -1 : a.name.localeCompare(b.name)
}

/**
 * Compact reports for the agents' tools and the flows' nodes (issue 15 §6, §9): the client's report through
 * `reports` (so a connection is only ever used under its own client), the range and totals first, the previous
 * period's totals when asked, and the top rows. Errors are the reports' own (`connectors.not_connected`, …).
 */
export const createReportDigests = (reports: Pick<Reports, 'ads' | 'analytics'>) => ({
  async ads(client: ClientRef, q: DigestQuery<AdsReport['kind']>, today = new Date()) {
    const r = await reports.ads(client, {
      kind: q.kind ?? 'campaigns',
      ...rangeOf(q, today),
      ...(q.compare ? { compare: 'previous' as const } : {}),
    })
    const rows = [...r.rows].sort(byCost).slice(0, DIGEST_ROWS)
    return {
      source: 'google_ads' as const,
      kind: r.kind,
      customerId: r.customerId,
      currency: r.currency,
      range: r.range,
      totals: readable(r.totals),
      previous: r.previous ? { range: r.previous.range, totals: readable(r.previous.totals) } : null,
      rows: rows.map((row) => ({
        id: row.id,
        name: row.name,
        status: row.status,
        ...(row.parent ? { parent: row.parent } : {}),
        ...readable(row.metrics),
      })),
      rowCount: r.rows.length,
      ...(r.rows.length > rows.length ? { note: `The ${rows.length} rows with the highest cost are shown.` } : {}),
      ...demoLabel(r.demo),
    }
  },

  async analytics(client: ClientRef, q: DigestQuery<AnalyticsReport['kind']>, today = new Date()) {
    const r = await reports.analytics(client, {
      kind: q.kind ?? 'overview',
      ...rangeOf(q, today),
      ...(q.compare ? { compare: 'previous' as const } : {}),
    })
    const rows = r.rows.slice(0, DIGEST_ROWS)
    return {
      source: 'google_analytics' as const,
      kind: r.kind,
      propertyId: r.propertyId,
      range: r.range,
      totals: r.totals,
      previous: r.previous,
      ...(r.funnel ? { funnel: r.funnel } : {}),
      rows: rows.map((row) => ({ ...row.dimensions, ...row.metrics })),
      rowCount: r.rows.length,
      ...(r.rows.length > rows.length ? { note: `The first ${rows.length} rows are shown.` } : {}),
      ...demoLabel(r.demo),
    }
  },
})
export type ReportDigests = ReturnType<typeof createReportDigests>
