import { formatCredits } from '../../lib/credits.ts'
import { formatCount } from '../../lib/format.ts'

export type BarRow = { key: string; label: string; charged: number; calls: number }

/** Horizontal bars, one per row: a list with each value written out; the bars themselves are decoration. */
export function BarList({ label, rows, max = 8 }: { label: string; rows: BarRow[]; max?: number }) {
  const top = rows.slice(0, max)
  const rest = rows.slice(max)
  const shown = rest.length
    ? [
        ...top,
        {
          key: '__rest',
          label: `${rest.length} more`,
          charged: rest.reduce((s, r) => s + r.charged, 0),
          calls: rest.reduce((s, r) => s + r.calls, 0),
        },
      ]
    : top
  const peak = Math.max(1, ...shown.map((r) => r.charged))
  return (
    <ul aria-label={label} className="space-y-3">
      {shown.map((r) => (
        <li key={r.key}>
          <div className="flex items-baseline justify-between gap-3 text-sm">
            <span className="min-w-0 truncate font-medium text-slate-800" title={r.label}>
              {r.label}
            </span>
            <span className="shrink-0 text-slate-700 tabular-nums">
              {formatCredits(r.charged)}{' '}
              <span className="text-slate-500">
                credits · {formatCount(r.calls)} {r.calls === 1 ? 'call' : 'calls'}
              </span>
            </span>
          </div>
          <svg aria-hidden="true" className="mt-1 block h-2 w-full" preserveAspectRatio="none">
            <rect width="100%" height="100%" rx="4" className="fill-slate-100" />
            <rect
              width={`${Math.max(r.charged > 0 ? 1 : 0, (r.charged / peak) * 100)}%`}
              height="100%"
              rx="4"
              className="fill-indigo-500"
            />
          </svg>
        </li>
      ))}
    </ul>
  )
}

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
const isoDay = (d: Date) => d.toISOString().slice(0, 10)

/** Every UTC day from `from` to `to` with its charge (0 for days without calls). */
export const fillDays = (rows: { key: string; charged: number; calls: number }[], from: string, to: string) => {
  const byDay = new Map(rows.map((r) => [r.key, r]))
  const out: { day: string; charged: number; calls: number }[] = []
  const end = new Date(to)
  for (let d = new Date(`${isoDay(new Date(from))}T00:00:00Z`); d <= end; d.setUTCDate(d.getUTCDate() + 1)) {
    const day = isoDay(d)
    out.push({ day, charged: byDay.get(day)?.charged ?? 0, calls: byDay.get(day)?.calls ?? 0 })
  }
  return out
}

/**
 * Credits charged per day as columns. The drawing is decoration: the caption sums it up and the figures are
 * in a visually hidden table right after it.
 */
export function DayColumns({ days }: { days: { day: string; charged: number; calls: number }[] }) {
  const peak = days.reduce(
    (best, d) => (d.charged > best.charged ? d : best),
    days[0] ?? { day: '', charged: 0, calls: 0 },
  )
  const total = days.reduce((s, d) => s + d.charged, 0)
  const scale = Math.max(1, peak.charged)
  const w = 10
  const label = (day: string) => dayLabel.format(new Date(`${day}T00:00:00Z`))
  const summary =
    total === 0
      ? `No credits charged in these ${days.length} days.`
      : `${formatCredits(total)} credits over ${days.length} days; the most on ${label(peak.day)}: ${formatCredits(peak.charged)}.`
  return (
    <figure>
      <div className="flex gap-2">
        <div
          aria-hidden="true"
          className="flex w-14 shrink-0 flex-col justify-between text-right text-xs text-slate-500 tabular-nums"
        >
          <span>{formatCredits(peak.charged)}</span>
          <span>0</span>
        </div>
        <svg
          aria-hidden="true"
          viewBox={`0 0 ${days.length * w} 100`}
          preserveAspectRatio="none"
          className="h-40 w-full border-b border-l border-slate-300"
        >
          {days.map((d, i) => {
            const h = d.charged > 0 ? Math.max(1.5, (d.charged / scale) * 100) : 0
            return (
              <rect
                key={d.day}
                x={i * w + 1.5}
                y={100 - h}
                width={w - 3}
                height={h}
                className="fill-indigo-500 hover:fill-indigo-700"
              >
                <title>{`${label(d.day)}: ${formatCredits(d.charged)} credits, ${d.calls} calls`}</title>
              </rect>
            )
          })}
        </svg>
      </div>
      <div aria-hidden="true" className="mt-1 ml-16 flex justify-between text-xs text-slate-500">
        <span>{days[0] ? label(days[0].day) : ''}</span>
        <span>{days.at(-1) ? label(days.at(-1)!.day) : ''}</span>
      </div>
      <figcaption className="mt-2 text-sm text-slate-600">{summary}</figcaption>
      <table className="sr-only">
        <caption>Credits charged per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Credits</th>
            <th scope="col">Calls</th>
          </tr>
        </thead>
        <tbody>
          {days
            .filter((d) => d.calls > 0 || d.charged > 0)
            .map((d) => (
              <tr key={d.day}>
                <th scope="row">{label(d.day)}</th>
                <td>{formatCredits(d.charged)}</td>
                <td>{d.calls}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </figure>
  )
}
