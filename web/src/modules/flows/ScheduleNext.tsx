import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { isApiError } from '../../lib/api.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { flowKeys, previewSchedule } from './api.ts'

const formatIn = (timezone: string) => {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short', timeZone: timezone })
  } catch {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short', timeZone: 'UTC' })
  }
}

/** Under a schedule trigger's settings: its next runs in its time zone, as the scheduler will fire them. */
export function ScheduleNext({ clientId, config }: { clientId: string; config: Record<string, unknown> }) {
  const cron = typeof config.cron === 'string' ? config.cron.trim() : ''
  const timezone = typeof config.timezone === 'string' && config.timezone ? config.timezone : 'UTC'
  // A string, so the debounce settles on a value rather than on every render's new object.
  const key = useDebounced(`${cron}\n${timezone}`, 400)
  const [askedCron = '', askedZone = 'UTC'] = key.split('\n')
  const query = useQuery({
    queryKey: flowKeys.schedule(askedCron, askedZone),
    queryFn: ({ signal }) => previewSchedule(clientId, askedCron, askedZone, signal),
    enabled: askedCron.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  })
  const format = formatIn(askedZone)
  return (
    <section aria-label="Next runs" className="rounded-md border border-slate-200 bg-slate-50 p-3">
      <h3 className="text-sm font-semibold text-slate-900">Next runs</h3>
      <div aria-live="polite" className="mt-1 text-sm text-slate-700">
        {!cron ? (
          <p className="text-slate-500">Enter a cron expression to see when it runs.</p>
        ) : query.isError ? (
          <p role="alert" className="text-red-700">
            {isApiError(query.error) ? query.error.message : 'Could not check the schedule.'}
          </p>
        ) : !query.data ? (
          <p className="text-slate-500">Checking…</p>
        ) : (
          <ol className="space-y-0.5" aria-busy={query.isFetching || key !== `${cron}\n${timezone}`}>
            {query.data.next.map((at) => (
              <li key={at}>
                <time dateTime={at}>{format.format(new Date(at))}</time>
              </li>
            ))}
            <li className="pt-1 text-xs text-slate-500">Times in {askedZone}.</li>
          </ol>
        )}
      </div>
    </section>
  )
}
