import { cx } from '../lib/cx.ts'

const bar = 'rounded bg-slate-200 motion-safe:animate-pulse'

/**
 * The shape of what is loading, in grey: rows for a list, tiles for a dashboard's figures, a heading and rows for a
 * whole page. Announced once, politely, by its label; the bars themselves are hidden from screen readers and stay
 * still for people who ask for reduced motion.
 */
export function Skeleton({
  label = 'Loading…',
  variant = 'list',
  rows = 3,
  className,
}: {
  label?: string
  variant?: 'list' | 'tiles' | 'page'
  rows?: number
  className?: string
}) {
  return (
    <div role="status" aria-live="polite" data-testid="skeleton" className={cx('py-4', className)}>
      <span className="sr-only">{label}</span>
      <div aria-hidden="true" className="space-y-3">
        {variant === 'page' && (
          <>
            <div className={cx(bar, 'h-7 w-1/3')} />
            <div className={cx(bar, 'h-4 w-2/3')} />
          </>
        )}
        {variant === 'tiles' ? (
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {Array.from({ length: 4 }, (_, i) => (
              <div key={i} className="space-y-2 rounded-lg border border-slate-200 p-4">
                <div className={cx(bar, 'h-3 w-1/2')} />
                <div className={cx(bar, 'h-6 w-2/3')} />
              </div>
            ))}
          </div>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200">
            {Array.from({ length: rows }, (_, i) => (
              <li key={i} className="flex items-center gap-3 px-4 py-3">
                <div className={cx(bar, 'size-8 shrink-0 rounded-full')} />
                <div className="flex-1 space-y-2">
                  <div className={cx(bar, 'h-3', i % 2 ? 'w-1/3' : 'w-1/2')} />
                  <div className={cx(bar, 'h-3 w-3/4')} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}
