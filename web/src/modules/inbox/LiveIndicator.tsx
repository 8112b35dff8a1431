import type { LiveState } from './use-inbox-events.ts'

/** Whether new messages appear by themselves; when the live feed gave up, a way to start it again. */
export function LiveIndicator({ state, onReconnect }: { state: LiveState; onReconnect: () => void }) {
  if (state === 'lost')
    return (
      <p className="flex items-center gap-2 text-sm text-amber-900" role="status">
        <span aria-hidden="true" className="size-2 rounded-full bg-amber-500" />
        New messages no longer appear by themselves.
        <button type="button" onClick={onReconnect} className="font-medium text-indigo-700 underline">
          Reconnect
        </button>
      </p>
    )
  return (
    <p
      className="flex items-center gap-2 text-sm text-slate-600"
      role="status"
      data-testid="inbox-live"
      data-state={state}
    >
      <span
        aria-hidden="true"
        className={`size-2 rounded-full ${state === 'live' ? 'bg-green-500' : 'bg-slate-300'}`}
      />
      {state === 'live' ? 'Live' : 'Connecting…'}
    </p>
  )
}
