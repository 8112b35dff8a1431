import { useMutation, useQuery } from '@tanstack/react-query'
import { ReactFlowProvider } from '@xyflow/react'
import { useMemo, useState } from 'react'
import { Link, useParams } from 'react-router'
import { flowPath, flowRunPath } from '../../../../contracts/app-paths.ts'
import type { FlowRunTrace, FlowStepDto, NodeTypeDto } from '../../../../contracts/flows.ts'
import { formatDateTime } from '../../lib/format.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button, buttonClass } from '../../ui/Button.tsx'
import { Facts } from '../../ui/Facts.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { downloadTraceMarkdown, flowKeys, getRun, isFinished, runExportUrl } from './api.ts'
import { errorMessage } from '../../lib/api.ts'
import { useToast } from '../../ui/Toast.tsx'
import { WithNodeTypes } from './node-types.tsx'
import { FlowCanvas, NO_SELECTION } from './FlowCanvas.tsx'
import type { Selection } from './FlowCanvas.tsx'
import { edgeId } from './graph.ts'
import { JsonBlock } from './JsonBlock.tsx'
import { RunConsole } from './RunConsole.tsx'
import {
  RUN_STATUS_LABEL,
  RUN_STATUS_TONE,
  STEP_STATUS_LABEL,
  STEP_STATUS_TONE,
  TRIGGER_LABEL,
  formatDuration,
  formatRunCredits,
} from './status.ts'

/** /app/flows/runs/:id: a run's trace — the path taken on the graph, every step's input and output. */
export function RunPage() {
  const { id = '' } = useParams()
  const trace = useQuery({ queryKey: flowKeys.run(id), queryFn: ({ signal }) => getRun(id, signal) })
  useTitle(trace.data ? `Run of ${trace.data.run.flowName}` : 'Flow run')
  return (
    <QueryState query={trace} label="Loading the run…">
      {(t) => <WithNodeTypes clientId={t.run.clientId}>{(types) => <RunView trace={t} types={types} />}</WithNodeTypes>}
    </QueryState>
  )
}

/** The nodes with a step, and the edges the run took: from a node, by the port its step left from, to a node with a step. */
const pathTaken = (trace: FlowRunTrace) => {
  const nodes = new Set(trace.steps.map((s) => s.nodeId))
  const ports = new Map<string, Set<string | null>>()
  for (const s of trace.steps)
    if (s.status === 'completed') ports.set(s.nodeId, (ports.get(s.nodeId) ?? new Set()).add(s.port))
  const edges = new Set<string>()
  for (const e of trace.graph.edges) {
    const left = ports.get(e.from)
    if (left && nodes.has(e.to) && (left.has(e.fromPort) || left.has(null))) edges.add(edgeId(e))
  }
  return { nodes, edges }
}

function RunView({ trace, types }: { trace: FlowRunTrace; types: NodeTypeDto[] }) {
  const { run } = trace
  const [selection, setSelection] = useState<Selection>(NO_SELECTION)
  const typeMap = useMemo(() => new Map(types.map((t) => [t.type, t])), [types])
  const taken = useMemo(() => pathTaken(trace), [trace])
  const statuses = useMemo(() => new Map(trace.steps.map((s) => [s.nodeId, s.status])), [trace.steps])
  const names = useMemo(() => new Map(trace.graph.nodes.map((n) => [n.id, n.name])), [trace.graph.nodes])
  const focus = selection.nodes.length === 1 ? selection.nodes[0]! : null
  const steps = focus ? trace.steps.filter((s) => s.nodeId === focus) : trace.steps
  // A run still going when the page opened keeps its console after it ends: it shows how it ended, and the page
  // does not jump when the trace is refreshed.
  const [live] = useState(() => !isFinished(run.status))
  const { notify } = useToast()
  const traceMd = useMutation({
    mutationFn: () => downloadTraceMarkdown(run.id, run.clientId),
    meta: { success: 'Trace downloaded.' },
    onError: (e) => notify(errorMessage(e), 'error'),
  })
  const meetings = trace.steps.flatMap((s) => (isMeetingOutput(s.output) ? [{ step: s, meeting: s.output }] : []))
  return (
    <div className="space-y-4">
      <header className="space-y-2">
        <Link to={flowPath(run.flowId)} className="text-sm font-medium text-indigo-700 hover:underline">
          ← {run.flowName}
        </Link>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Run of {run.flowName}</h1>
          <Badge tone={RUN_STATUS_TONE[run.status]}>{RUN_STATUS_LABEL[run.status]}</Badge>
          <Button
            variant="secondary"
            className="ml-auto py-1.5"
            pending={traceMd.isPending}
            onClick={() => traceMd.mutate()}
          >
            Export trace
          </Button>
          <a
            href={runExportUrl(run.id)}
            download={`flow-run-${run.id}.json`}
            className={buttonClass('secondary', 'py-1.5')}
          >
            Export JSON
          </a>
        </div>
        {run.error && (
          <p className="text-sm text-red-700">
            {run.error.message} <code className="text-xs">({run.error.code})</code>
          </p>
        )}
      </header>
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_18rem]">
        <div className="h-[50vh] min-h-72 overflow-hidden rounded-lg border border-slate-200 bg-white">
          <ReactFlowProvider>
            <FlowCanvas
              graph={trace.graph}
              types={typeMap}
              selection={selection}
              onSelection={setSelection}
              statuses={statuses}
              taken={taken}
              label="The graph this run ran, with the path taken highlighted"
            />
          </ReactFlowProvider>
        </div>
        <section aria-label="Run details" className="rounded-lg border border-slate-200 bg-white p-4">
          <Facts
            rows={[
              ['Trigger', TRIGGER_LABEL[run.trigger]],
              ['Version', run.versionNumber === null ? 'Draft (test)' : `v${run.versionNumber}`],
              ['Started', formatDateTime(run.createdAt)],
              ['Finished', formatDateTime(run.finishedAt)],
              ['Duration', formatDuration(run.durationMs)],
              ['Steps', String(run.steps)],
              ['Credits', formatRunCredits(run.credits)],
            ]}
          />
          {run.parentRunId && (
            <p className="mt-3 text-sm">
              Called by{' '}
              <Link to={flowRunPath(run.parentRunId)} className="font-medium text-indigo-700 hover:underline">
                another run
              </Link>
            </p>
          )}
        </section>
      </div>
      {meetings.map(({ step, meeting }) => (
        <MeetingOutcome key={step.key} name={names.get(step.nodeId) ?? step.nodeId} meeting={meeting} />
      ))}
      {live && (
        <div className="h-80">
          <RunConsole runId={run.id} nodeNames={names} onRunPage />
        </div>
      )}
      <section aria-labelledby="steps-heading" className="space-y-3">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="steps-heading" className="text-base font-semibold text-slate-900">
            {focus ? `Steps of ${names.get(focus) ?? focus}` : 'Steps'}
          </h2>
          {focus && (
            <button
              type="button"
              className="text-sm font-medium text-indigo-700 hover:underline"
              onClick={() => setSelection(NO_SELECTION)}
            >
              Show all steps
            </button>
          )}
          {!focus && <p className="text-xs text-slate-500">Select a node on the graph to see only its steps.</p>}
        </div>
        <div className="grid gap-3 md:grid-cols-2">
          <JsonBlock label="Run input" value={trace.input} />
          <JsonBlock label="Run output" value={trace.output} />
        </div>
        {steps.length === 0 ? (
          <p className="text-sm text-slate-600">{focus ? 'This node did not run.' : 'No steps yet.'}</p>
        ) : (
          <ol className="space-y-2">
            {steps.map((s) => (
              <StepItem key={s.key} step={s} name={names.get(s.nodeId) ?? s.nodeId} />
            ))}
          </ol>
        )}
      </section>
    </div>
  )
}

function StepItem({ step, name }: { step: FlowStepDto; name: string }) {
  return (
    <li className="rounded-lg border border-slate-200 bg-white">
      <details>
        <summary className="flex cursor-pointer flex-wrap items-center gap-2 px-3 py-2 text-sm">
          <Badge tone={STEP_STATUS_TONE[step.status]}>{STEP_STATUS_LABEL[step.status]}</Badge>
          <span className="font-medium text-slate-900">{name}</span>
          {step.iteration !== '0' && <span className="text-xs text-slate-500">#{step.iteration}</span>}
          {step.port && <span className="text-xs text-slate-500">→ {step.port}</span>}
          <span className="ml-auto flex gap-3 text-xs text-slate-500 tabular-nums">
            {step.attempts > 1 && <span className="text-amber-800">{step.attempts} attempts</span>}
            {formatRunCredits(step.credits) !== '—' && <span>{step.credits} credits</span>}
            <span>{formatDuration(step.durationMs)}</span>
          </span>
        </summary>
        <div className="space-y-2 border-t border-slate-100 p-3">
          {step.error && (
            <p className="text-sm text-red-700">
              {step.error.message} <code className="text-xs">({step.error.code})</code>
            </p>
          )}
          <p className="text-xs text-slate-500">
            Started {formatDateTime(step.startedAt)} · idempotency key{' '}
            <code className="break-all">{step.idempotencyKey}</code>
          </p>
          <div className="grid gap-2 md:grid-cols-2">
            <JsonBlock label="Input" value={step.input} />
            <JsonBlock label="Output" value={step.output} />
          </div>
        </div>
      </details>
    </li>
  )
}

type MeetingOutput = { meetingId: string; decisions: string[]; actionItems: { owner: string; action: string }[] }
/** A Boardroom step's output (a later step that copies its decisions is not one). */
const isMeetingOutput = (v: unknown): v is MeetingOutput =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as MeetingOutput).decisions) &&
  Array.isArray((v as MeetingOutput).actionItems) &&
  Array.isArray((v as { turns?: unknown }).turns)

/** A Boardroom step's outcome: the moderator's decisions and action items. */
function MeetingOutcome({ name, meeting }: { name: string; meeting: MeetingOutput }) {
  return (
    <section
      aria-label={`${name}: decisions`}
      className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-2"
    >
      <div>
        <h2 className="text-base font-semibold text-slate-900">Decisions</h2>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-800">
          {meeting.decisions.length ? meeting.decisions.map((d, i) => <li key={i}>{d}</li>) : <li>None recorded.</li>}
        </ul>
      </div>
      <div>
        <h2 className="text-base font-semibold text-slate-900">Action items</h2>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-800">
          {meeting.actionItems.length ? (
            meeting.actionItems.map((a, i) => (
              <li key={i}>
                <span className="font-medium">{a.owner}</span>: {a.action}
              </li>
            ))
          ) : (
            <li>None recorded.</li>
          )}
        </ul>
      </div>
    </section>
  )
}
