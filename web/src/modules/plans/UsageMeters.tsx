import type { LimitUsage } from './api.ts'
import { formatCount } from '../../lib/format.ts'
import { LIMITS } from './format.ts'

const order = (key: string) => {
  const i = LIMITS.findIndex((l) => l.key === key)
  return i < 0 ? LIMITS.length : i
}

/** "3 of 5 clients" with a bar; "Unlimited" without one. The bar is decoration: the words carry the figures. */
function Meter({ usage }: { usage: LimitUsage }) {
  const spec = LIMITS.find((l) => l.key === usage.key)
  const label = spec?.label ?? usage.key
  const noun = spec?.noun ?? usage.key
  const { used, limit } = usage
  const share = limit === null ? 0 : limit === 0 ? 1 : Math.min(used / limit, 1)
  const excluded = limit === 0 && used === 0
  const reached = limit !== null && used >= limit && !excluded
  const bar = reached ? 'fill-red-600' : share >= 0.8 ? 'fill-amber-500' : 'fill-indigo-600'
  return (
    <li data-testid="limit-usage" data-key={usage.key}>
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 text-sm">
        <span className="font-medium text-slate-900">{label}</span>
        <span data-testid="limit-usage-text" className={reached ? 'font-medium text-red-700' : 'text-slate-700'}>
          {excluded
            ? 'Not in this plan'
            : limit === null
              ? `${formatCount(used)} ${noun} · Unlimited`
              : `${formatCount(used)} of ${formatCount(limit)} ${noun}`}
          {reached && ' · limit reached'}
        </span>
      </div>
      <svg aria-hidden="true" className="mt-1.5 block h-2 w-full">
        <rect width="100%" height="100%" rx="4" className="fill-slate-100" />
        {limit !== null && !excluded && (
          <rect width={`${Math.max(share * 100, used > 0 ? 2 : 0)}%`} height="100%" rx="4" className={bar} />
        )}
      </svg>
    </li>
  )
}

export function UsageMeters({ usage }: { usage: LimitUsage[] }) {
  const sorted = [...usage].sort((a, b) => order(a.key) - order(b.key))
  return (
    <ul className="grid gap-x-8 gap-y-4 sm:grid-cols-2">
      {sorted.map((u) => (
        <Meter key={u.key} usage={u} />
      ))}
    </ul>
  )
}
