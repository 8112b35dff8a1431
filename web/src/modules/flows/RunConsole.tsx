import { useMutation } from '@tanstack/react-query'
import { Link } from 'react-router'
import { flowRunPath } from '../../../../contracts/app-paths.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { cx } from '../../lib/cx.ts'
import { canEdit } from '../../lib/roles.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { cancelRun } from './api.ts'
import { JsonBlock } from './JsonBlock.tsx'
import type { LiveRun, LiveStep } from './live-run.ts'
import { RUN_STATUS_LABEL, RUN_STATUS_TONE, STEP_STATUS_LABEL, STEP_STATUS_TONE, formatDuration } from './status.ts'
import { useRunStream } from './use-run-stream.ts'

type ViewProps = {
  runId: string
  live: LiveRun
  error: unknown
  following: boolean
  /** Node names by id, to label steps. */
  nodeNames?: Map<string, string>
  onClose?: () => void
  /** Hides the link to the run page (on the run page itself). */
  onRunPage?: boolean
}

/** A run's live console on its own: follows the run's events. */
export function RunConsole(props: Omit<ViewProps, 'live' | 'error' | 'following'>) {
  const stream = useRunStream(props.runId)
  return <RunConsoleView {...props} {...stream} />
}

/** The live console: step events as they arrive, with status, duration and the input/output of each step. */
export function RunConsoleView({ runId, live, error, following, nodeNames, onClose, onRunPage }: ViewProps) {
  const editable = canEdit(useWorkspace().role)
  const { notify } = useToast()
  const cancel = useMutation({
    mutationFn: () => cancelRun(runId),
    onSuccess: () => notify('Run cancelled'),
    onError: (e) => notify(errorMessage(e), 'error'),
  })
  const status = live.status ?? 'queued'
  const finished = live.done !== null
  return (
    <section aria-label="Run console" className="flex min-h-0 flex-col rounded-lg border border-slate-200 bg-white">
      <header className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2">
        <h2 className="text-sm font-semibold text-slate-900">Run console</h2>
        <Badge tone={RUN_STATUS_TONE[status]}>{RUN_STATUS_LABEL[status]}</Badge>
        {following && !finished && (
          <span className="text-xs text-slate-500" aria-live="polite">
            Following live…
          </span>
        )}
        <div className="ml-auto flex flex-wrap gap-2">
          {!onRunPage && (
            <Link to={flowRunPath(runId)} className="px-2 py-1.5 text-sm font-medium text-indigo-700 hover:underline">
              Open run
            </Link>
          )}
          {editable && !finished && (
            <Button variant="secondary" className="py-1" pending={cancel.isPending} onClick={() => cancel.mutate()}>
              Cancel run
            </Button>
          )}
          {onClose && (
            <Button variant="ghost" className="py-1" onClick={onClose}>
              Close
            </Button>
          )}
        </div>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto p-3" aria-live="polite" aria-relevant="additions">
        {error ? (
          <Alert tone="error" title="The live log stopped">
            {errorMessage(error)}
          </Alert>
        ) : null}
        {live.steps.length === 0 && !error && (
          <p className="text-sm text-slate-600">{finished ? 'No steps ran.' : 'Waiting for the first step…'}</p>
        )}
        <ol className="space-y-2">
          {live.steps.map((s) => (
            <StepRow key={s.key} step={s} name={nodeNames?.get(s.nodeId) ?? s.nodeId} />
          ))}
        </ol>
        {live.response && (
          <div className="mt-3 text-sm text-slate-700">
            <p>
              Answered the webhook with HTTP <strong>{live.response.status}</strong>.
            </p>
            <JsonBlock label="Response body" value={live.response.body} />
          </div>
        )}
        {live.done && (
          <div className="mt-3 rounded-md border border-slate-200 bg-slate-50 p-2 text-sm text-slate-700">
            <p>
              Finished: <strong>{RUN_STATUS_LABEL[live.done.status]}</strong> · {live.done.steps} steps
              {live.done.credits && !/^0*(\.0*)?$/.test(live.done.credits) ? ` · ${live.done.credits} credits` : ''}
            </p>
            {live.done.error && (
              <p className="mt-1 text-red-700">
                {live.done.error.message} <code className="text-xs">({live.done.error.code})</code>
              </p>
            )}
          </div>
        )}
      </div>
    </section>
  )
}

const BORDER: Record<LiveStep['status'], string> = {
  started: 'border-l-sky-500',
  completed: 'border-l-green-500',
  failed: 'border-l-red-500',
  waiting: 'border-l-indigo-500',
  retrying: 'border-l-amber-500',
  skipped: 'border-l-slate-400',
  cancelled: 'border-l-amber-500',
}

function StepRow({ step, name }: { step: LiveStep; name: string }) {
  const iteration = step.key.split('#')[1]
  return (
    <li className={cx('rounded-md border border-l-4 border-slate-200 bg-white', BORDER[step.status])}>
      <details>
        <summary className="flex cursor-pointer flex-wrap items-center gap-2 px-2 py-1.5 text-sm">
          <Badge tone={STEP_STATUS_TONE[step.status]}>{STEP_STATUS_LABEL[step.status]}</Badge>
          <span className="font-medium text-slate-900">{name}</span>
          {iteration && iteration !== '0' && <span className="text-xs text-slate-500">#{iteration}</span>}
          {step.attempt > 1 && <span className="text-xs text-amber-800">attempt {step.attempt}</span>}
          {step.port && step.port !== 'out' && <span className="text-xs text-slate-500">→ {step.port}</span>}
          <span className="ml-auto text-xs text-slate-500 tabular-nums">{formatDuration(step.durationMs)}</span>
        </summary>
        <div className="space-y-2 border-t border-slate-100 p-2">
          {step.error && (
            <p className="text-sm text-red-700">
              {step.error.message} <code className="text-xs">({step.error.code})</code>
              {step.until &&
                step.status === 'retrying' &&
                ` · next attempt ${new Date(step.until).toLocaleTimeString()}`}
            </p>
          )}
          {step.status === 'waiting' && step.until && (
            <p className="text-sm text-slate-700">Waiting until {new Date(step.until).toLocaleString()}</p>
          )}
          {step.logs.length > 0 && (
            <ul className="space-y-1 text-xs text-slate-700">
              {step.logs.map((l, i) => (
                <li key={i}>
                  <span className="font-mono">{l.message}</span>
                  {l.data !== undefined && <JsonBlock label="Data" value={l.data} />}
                </li>
              ))}
            </ul>
          )}
          <div className="grid gap-2 md:grid-cols-2">
            <JsonBlock label="Input" value={step.input} />
            <JsonBlock label="Output" value={step.output} />
          </div>
        </div>
      </details>
    </li>
  )
}
