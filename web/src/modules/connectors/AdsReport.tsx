import { useState } from 'react'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { Table, Td, num } from '../../ui/Table.tsx'
import { adsReport, connectorKeys, type AdsKind, type AdsReportData, type ReportRange } from './api.ts'
import { formatDecimal, formatInteger, formatMicros, formatRatioPercent } from './figures.ts'
import { formatRange } from './range.ts'
import { BarChart, FigureArea, KpiTiles, type Better, type Kpi } from './ReportBlocks.tsx'
import { ReportError, ReportSkeleton, byDesc, useReport } from './ReportState.tsx'

/** The Google Ads tab: a report kind, the totals against the previous period, cost per row as bars, the rows. */
const ADS_KINDS: { key: AdsKind; label: string; noun: string }[] = [
  { key: 'campaigns', label: 'Campaigns', noun: 'Campaign' },
  { key: 'adgroups', label: 'Ad groups', noun: 'Ad group' },
  { key: 'keywords', label: 'Keywords', noun: 'Keyword' },
]

const adsKpis = (r: AdsReportData): Kpi[] => {
  const t = r.totals
  const p = r.previous?.totals
  const money = (v: string | null) => formatMicros(v, r.currency)
  const k = (key: keyof typeof t, label: string, value: string, better: Better): Kpi => ({
    key,
    label,
    value,
    current: t[key],
    previous: p ? p[key] : null,
    better,
  })
  return [
    k('costMicros', 'Cost', money(t.costMicros), 'neither'),
    k('impressions', 'Impressions', formatInteger(t.impressions), 'up'),
    k('clicks', 'Clicks', formatInteger(t.clicks), 'up'),
    k('ctr', 'CTR', formatRatioPercent(t.ctr), 'up'),
    k('averageCpcMicros', 'Avg. CPC', money(t.averageCpcMicros), 'down'),
    k('conversions', 'Conversions', formatDecimal(t.conversions), 'up'),
    k('cpaMicros', 'Cost / conv.', money(t.cpaMicros), 'down'),
    k('conversionsValue', 'Conv. value', formatDecimal(t.conversionsValue), 'up'),
    k('roas', 'ROAS', r.totals.roas === null ? '—' : `${formatDecimal(t.roas)}×`, 'up'),
  ]
}

export function AdsPanel({
  clientId,
  connectionId,
  range,
}: {
  clientId: string
  /** null: the client's own reports (the operator's demo data when it has no connection). */
  connectionId: string | null
  range: ReportRange
}) {
  const [kind, setKind] = useState<AdsKind>('campaigns')
  const query = useReport(clientId, connectorKeys.report(clientId, connectionId, 'ads', kind, range), (signal) =>
    adsReport(clientId, connectionId, kind, range, signal),
  )
  const noun = ADS_KINDS.find((k) => k.key === kind)!.noun
  return (
    <div className="space-y-5">
      <Field label="Google Ads report" className="max-w-xs">
        {(p) => (
          <Select {...p} value={kind} onChange={(e) => setKind(e.target.value as AdsKind)}>
            {ADS_KINDS.map((k) => (
              <option key={k.key} value={k.key}>
                {k.label}
              </option>
            ))}
          </Select>
        )}
      </Field>
      {query.isPending ? (
        <ReportSkeleton label="Loading the Google Ads report…" />
      ) : query.isError ? (
        <ReportError error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <AdsFigures report={query.data} noun={noun} updating={query.isFetching && query.isPlaceholderData} />
      )}
    </div>
  )
}

function AdsFigures({ report: r, noun, updating }: { report: AdsReportData; noun: string; updating: boolean }) {
  const money = (v: string | null) => formatMicros(v, r.currency)
  const top = byDesc(r.rows, (x) => x.metrics.costMicros).slice(0, 10)
  const withParent = r.kind !== 'campaigns'
  return (
    <div className={updating ? 'space-y-5 opacity-60' : 'space-y-5'} aria-busy={updating || undefined}>
      <FigureArea
        title="Totals"
        demo={r.demo}
        note={
          <span className="text-xs text-slate-500">
            {formatRange(r.range)}
            {r.previous && <> vs {formatRange(r.previous.range)}</>}
            {r.currency && <> · {r.currency}</>}
          </span>
        }
      >
        <KpiTiles label="Google Ads totals" items={adsKpis(r)} compared={r.previous !== null} />
      </FigureArea>
      {r.rows.length === 0 ? (
        <EmptyState title="No activity in this range">Google Ads recorded nothing for these days.</EmptyState>
      ) : (
        <>
          <FigureArea title={`Cost by ${noun.toLowerCase()}`} demo={r.demo}>
            <BarChart
              title={`Cost by ${noun.toLowerCase()} (top ${top.length})`}
              rows={top.map((x) => ({
                key: x.id,
                label: x.name,
                value: x.metrics.costMicros,
                display: money(x.metrics.costMicros),
              }))}
            />
          </FigureArea>
          <FigureArea title={`${noun}s`} demo={r.demo}>
            <Table
              caption={`Google Ads ${noun.toLowerCase()}s`}
              columns={[
                noun,
                ...(withParent ? [r.kind === 'keywords' ? 'Ad group' : 'Campaign'] : []),
                num('Impr.'),
                num('Clicks'),
                num('CTR'),
                num('Cost'),
                num('Conv.'),
                num('Cost / conv.'),
                num('ROAS'),
              ]}
            >
              {byDesc(r.rows, (x) => x.metrics.costMicros).map((x) => (
                <tr key={x.id}>
                  <Td className="max-w-64 font-medium text-slate-900">
                    <span className="block truncate">{x.name}</span>
                    {x.status && <span className="text-xs font-normal text-slate-500">{x.status.toLowerCase()}</span>}
                  </Td>
                  {withParent && <Td className="max-w-48 truncate">{x.parent ?? '—'}</Td>}
                  <Td className="text-right tabular-nums">{formatInteger(x.metrics.impressions)}</Td>
                  <Td className="text-right tabular-nums">{formatInteger(x.metrics.clicks)}</Td>
                  <Td className="text-right tabular-nums">{formatRatioPercent(x.metrics.ctr)}</Td>
                  <Td className="text-right tabular-nums">{money(x.metrics.costMicros)}</Td>
                  <Td className="text-right tabular-nums">{formatDecimal(x.metrics.conversions)}</Td>
                  <Td className="text-right tabular-nums">{money(x.metrics.cpaMicros)}</Td>
                  <Td className="text-right tabular-nums">
                    {x.metrics.roas === null ? '—' : `${formatDecimal(x.metrics.roas)}×`}
                  </Td>
                </tr>
              ))}
            </Table>
          </FigureArea>
        </>
      )}
    </div>
  )
}
