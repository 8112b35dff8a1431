import { useState } from 'react'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { Table, Td, num } from '../../ui/Table.tsx'
import {
  analyticsReport,
  connectorKeys,
  type AnalyticsKind,
  type AnalyticsReportData,
  type ReportRange,
} from './api.ts'
import { formatDecimal, formatInteger, formatRatioPercent, formatSeconds } from './figures.ts'
import { formatRange } from './range.ts'
import { BarChart, FigureArea, KpiTiles, type Kpi } from './ReportBlocks.tsx'
import { ReportError, ReportSkeleton, byDesc, useReport } from './ReportState.tsx'

/** The Analytics (GA4) tab: a report kind, the totals against the previous period, bars of the first figure, rows. */
const GA_KINDS: { key: AnalyticsKind; label: string }[] = [
  { key: 'overview', label: 'Overview' },
  { key: 'pages', label: 'Pages' },
  { key: 'sources', label: 'Sources' },
  { key: 'events', label: 'Events' },
  { key: 'funnel', label: 'Funnel' },
  { key: 'audience', label: 'Audiences' },
]
const METRIC_LABELS: Record<string, string> = {
  activeUsers: 'Active users',
  newUsers: 'New users',
  totalUsers: 'Users',
  sessions: 'Sessions',
  engagedSessions: 'Engaged sessions',
  screenPageViews: 'Views',
  keyEvents: 'Key events',
  totalRevenue: 'Revenue',
  userEngagementDuration: 'Engagement time',
  eventCount: 'Events',
}
const DIMENSION_LABELS: Record<string, string> = {
  date: 'Day',
  pagePath: 'Page',
  sessionSourceMedium: 'Source / medium',
  eventName: 'Event',
  audienceName: 'Audience',
}
const metricLabel = (m: string) => METRIC_LABELS[m] ?? m
const formatMetric = (m: string, v: string | null | undefined) =>
  m === 'userEngagementDuration' ? formatSeconds(v) : m === 'totalRevenue' ? formatDecimal(v, 2) : formatDecimal(v, 2)
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
const formatDimension = (d: string, v: string) =>
  d === 'date' && /^\d{8}$/.test(v)
    ? dayLabel.format(new Date(Date.UTC(Number(v.slice(0, 4)), Number(v.slice(4, 6)) - 1, Number(v.slice(6, 8)))))
    : v || '(not set)'

export function AnalyticsPanel({
  clientId,
  connectionId,
  range,
}: {
  clientId: string
  /** null: the client's own reports (the operator's demo data when it has no connection). */
  connectionId: string | null
  range: ReportRange
}) {
  const [kind, setKind] = useState<AnalyticsKind>('overview')
  const query = useReport(clientId, connectorKeys.report(clientId, connectionId, 'analytics', kind, range), (signal) =>
    analyticsReport(clientId, connectionId, kind, range, signal),
  )
  return (
    <div className="space-y-5">
      <Field label="GA4 report" className="max-w-xs">
        {(p) => (
          <Select {...p} value={kind} onChange={(e) => setKind(e.target.value as AnalyticsKind)}>
            {GA_KINDS.map((k) => (
              <option key={k.key} value={k.key}>
                {k.label}
              </option>
            ))}
          </Select>
        )}
      </Field>
      {query.isPending ? (
        <ReportSkeleton label="Loading the GA4 report…" />
      ) : query.isError ? (
        <ReportError error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <AnalyticsFigures report={query.data} updating={query.isFetching && query.isPlaceholderData} />
      )}
    </div>
  )
}

function AnalyticsFigures({ report: r, updating }: { report: AnalyticsReportData; updating: boolean }) {
  const metrics = Object.keys(r.totals)
  const dimension = Object.keys(r.rows[0]?.dimensions ?? {})[0] ?? ''
  const first = metrics[0] ?? ''
  const kpis: Kpi[] = metrics.map((m) => ({
    key: m,
    label: metricLabel(m),
    value: formatMetric(m, r.totals[m]),
    current: r.totals[m] ?? null,
    previous: r.previous ? (r.previous.totals[m] ?? null) : null,
    better: 'up',
  }))
  // Days in order; other kinds by their first figure, the top ten.
  const chartRows =
    dimension === 'date'
      ? [...r.rows].sort((a, b) => (a.dimensions.date ?? '').localeCompare(b.dimensions.date ?? ''))
      : byDesc(r.rows, (x) => x.metrics[first]).slice(0, 10)
  return (
    <div className={updating ? 'space-y-5 opacity-60' : 'space-y-5'} aria-busy={updating || undefined}>
      <FigureArea
        title="Totals"
        demo={r.demo}
        note={
          <span className="text-xs text-slate-500">
            {formatRange(r.range)}
            {r.previous && <> vs {formatRange(r.previous.range)}</>}
          </span>
        }
      >
        <KpiTiles label="GA4 totals" items={kpis} compared={r.previous !== null} />
      </FigureArea>
      {r.funnel && (
        <FigureArea title="Funnel" demo={r.demo}>
          <ol aria-label="Funnel steps" className="space-y-2">
            {r.funnel.map((s, i) => (
              <li
                key={s.event}
                className="flex flex-wrap items-baseline justify-between gap-2 rounded-md border border-slate-200 bg-white p-3 text-sm"
              >
                <span className="font-medium text-slate-900">
                  {i + 1}. {s.event}
                </span>
                <span className="tabular-nums text-slate-700">
                  {formatInteger(s.users)} users
                  {s.fromPrevious !== null && <> · {formatRatioPercent(s.fromPrevious, 1)} of the step before</>}
                </span>
              </li>
            ))}
          </ol>
        </FigureArea>
      )}
      {r.rows.length === 0 ? (
        <EmptyState title="No data in this range">GA4 recorded nothing for these days.</EmptyState>
      ) : (
        <>
          <FigureArea
            title={`${metricLabel(first)} by ${(DIMENSION_LABELS[dimension] ?? dimension).toLowerCase()}`}
            demo={r.demo}
          >
            <BarChart
              title={`${metricLabel(first)} by ${(DIMENSION_LABELS[dimension] ?? dimension).toLowerCase()}`}
              rows={chartRows.map((x, i) => ({
                key: `${x.dimensions[dimension] ?? i}`,
                label: formatDimension(dimension, x.dimensions[dimension] ?? ''),
                value: x.metrics[first] ?? null,
                display: formatMetric(first, x.metrics[first]),
              }))}
            />
          </FigureArea>
          <FigureArea title="Rows" demo={r.demo}>
            <Table
              caption="GA4 report rows"
              columns={[DIMENSION_LABELS[dimension] ?? dimension, ...metrics.map((m) => num(metricLabel(m)))]}
            >
              {r.rows.map((x, i) => (
                <tr key={`${x.dimensions[dimension] ?? i}`}>
                  <Td className="max-w-72 font-medium text-slate-900">
                    <span className="block truncate">{formatDimension(dimension, x.dimensions[dimension] ?? '')}</span>
                  </Td>
                  {metrics.map((m) => (
                    <Td key={m} className="text-right tabular-nums">
                      {formatMetric(m, x.metrics[m])}
                    </Td>
                  ))}
                </tr>
              ))}
            </Table>
          </FigureArea>
        </>
      )}
    </div>
  )
}
