import type { ReactNode } from 'react'
import { cx } from '../../lib/cx.ts'
import { Badge } from '../../ui/Badge.tsx'
import { change, shares } from './figures.ts'
import { Icon } from './icons.tsx'

/** On every figure area of a report the operator serves from demo data. */
export function DemoBadge({ demo }: { demo: boolean }) {
  return demo ? <Badge tone="amber">Demo data</Badge> : null
}

/** Which way is good for a figure: more clicks is good, a higher cost per conversion is not. */
export type Better = 'up' | 'down' | 'neither'

function Delta({ current, previous, better }: { current: string | null; previous: string | null; better: Better }) {
  const c = change(current, previous)
  if (!c) return null
  if (c.direction === 'new') return <p className="mt-1 text-xs text-slate-600">New vs the previous period (it was 0)</p>
  const good = c.direction === 'flat' || better === 'neither' ? null : c.direction === better
  return (
    <p
      className={cx(
        'mt-1 inline-flex items-center gap-1 text-xs font-medium',
        good === null ? 'text-slate-600' : good ? 'text-green-700' : 'text-red-700',
      )}
    >
      <Icon name={c.direction} className="size-3.5" />
      <span>
        {c.percent}
        <span className="sr-only">
          {' '}
          {c.direction === 'up' ? 'more' : c.direction === 'down' ? 'less' : 'unchanged'}
        </span>{' '}
        vs previous
      </span>
    </p>
  )
}

export type Kpi = {
  key: string
  label: string
  value: string
  current: string | null
  previous: string | null
  better: Better
}

/** The totals as tiles, each with its change against the previous period when one was asked for. */
export function KpiTiles({ label, items, compared }: { label: string; items: Kpi[]; compared: boolean }) {
  return (
    <ul aria-label={label} className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      {items.map((k) => (
        <li key={k.key} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
          <p className="text-xs font-medium text-slate-500">{k.label}</p>
          <p className="mt-1 text-lg font-semibold break-words text-slate-900 tabular-nums">{k.value}</p>
          {compared && <Delta current={k.current} previous={k.previous} better={k.better} />}
        </li>
      ))}
    </ul>
  )
}

/** A horizontal bar per row (the longest is the biggest figure), drawn in SVG; the table carries the same numbers. */
export function BarChart({
  title,
  rows,
}: {
  title: string
  rows: { key: string; label: string; value: string | null; display: string }[]
}) {
  const lengths = shares(rows.map((r) => r.value))
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-4">
      <figcaption className="sr-only">{title}</figcaption>
      <ol aria-label={title} className="space-y-2.5">
        {rows.map((r, i) => (
          <li key={r.key}>
            <div className="flex items-baseline justify-between gap-3 text-xs text-slate-700">
              <span className="min-w-0 truncate">{r.label}</span>
              <span className="shrink-0 font-medium text-slate-900 tabular-nums">{r.display}</span>
            </div>
            <svg
              viewBox="0 0 100 4"
              preserveAspectRatio="none"
              aria-hidden="true"
              className="mt-1 block h-2 w-full rounded-sm bg-slate-100"
            >
              <rect x={0} y={0} height={4} width={lengths[i]! * 100} className="fill-indigo-500" />
            </svg>
          </li>
        ))}
      </ol>
    </figure>
  )
}

export function FigureArea({
  title,
  demo,
  children,
  note,
}: {
  title: string
  demo: boolean
  children: ReactNode
  note?: ReactNode
}) {
  return (
    <section aria-label={title} className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
        <DemoBadge demo={demo} />
        {note}
      </div>
      {children}
    </section>
  )
}
