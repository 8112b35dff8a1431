/** Label–value pairs as a two-column description list, values right-aligned (figures line up). */
export function Facts({ rows }: { rows: [string, string][] }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-600">{k}</dt>
          <dd className="text-right font-medium text-slate-900 tabular-nums">{v}</dd>
        </div>
      ))}
    </dl>
  )
}
