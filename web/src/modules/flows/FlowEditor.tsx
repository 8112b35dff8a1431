import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useReactFlow } from '@xyflow/react'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type {
  FlowDto,
  FlowEdge,
  FlowGraph,
  GraphIssue,
  NodeTypeDto,
  WebhookSecretDto,
} from '../../../../contracts/flows.ts'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { cx } from '../../lib/cx.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { flowKeys, graphIssuesOf, listCredentials, publishFlow } from './api.ts'
import { EditorHeader } from './EditorHeader.tsx'
import { FlowCanvas, NO_SELECTION } from './FlowCanvas.tsx'
import type { Selection } from './FlowCanvas.tsx'
import { addEdge, addNode, connectionProblem, removeElements, updateNode } from './graph.ts'
import { nodeStatuses } from './live-run.ts'
import { NodePanel } from './NodePanel.tsx'
import { Palette } from './Palette.tsx'
import { RunConsoleView } from './RunConsole.tsx'
import { TestRunDialog } from './TestRunDialog.tsx'
import { useAutosave } from './use-autosave.ts'
import { useGraphHistory } from './use-history.ts'
import { useRunStream } from './use-run-stream.ts'
import { useValidation } from './use-validation.ts'
import { WebhookDialog } from './WebhookDialog.tsx'

type Props = {
  flow: FlowDto
  types: NodeTypeDto[]
  /** Admins edit and publish; members run the published version; viewers look. */
  admin: boolean
  member: boolean
  onReload: () => void
}

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))

/** The canvas editor: palette, canvas, the selected node's panel, autosave, validation, publish, test runs. */
export function FlowEditor({ flow, types, admin, member, onReload }: Props) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const { screenToFlowPosition } = useReactFlow()
  const typeMap = useMemo(() => new Map(types.map((t) => [t.type, t])), [types])
  const editable = admin && flow.state !== 'archived'
  const history = useGraphHistory(flow.draft)
  const { graph, change, undo, redo } = history
  const [name, setName] = useState(flow.name)
  const [selection, setSelection] = useState<Selection>(NO_SELECTION)
  const [publishIssues, setPublishIssues] = useState<{ graph: FlowGraph; issues: GraphIssue[] } | null>(null)
  const [runId, setRunId] = useState<string | null>(null)
  const [dialog, setDialog] = useState<'run' | 'webhook' | null>(null)
  const [secret, setSecret] = useState<WebhookSecretDto | null>(null)
  const canvasBox = useRef<HTMLDivElement>(null)
  const hasWebhookRef = useRef(false)

  const save = useAutosave(flow, { graph, name }, editable, (saved) => qc.setQueryData(flowKeys.flow(flow.id), saved))
  const validation = useValidation(
    flow.id,
    flow.clientId,
    graph,
    publishIssues?.graph === graph ? publishIssues.issues : null,
  )
  const stream = useRunStream(runId)
  const statuses = useMemo(() => (runId ? nodeStatuses(stream.live) : undefined), [runId, stream.live])
  const credentials = useQuery({
    queryKey: flowKeys.credentials(flow.clientId),
    queryFn: ({ signal }) => listCredentials(flow.clientId, signal),
    enabled: editable,
    retry: false,
  })

  useEffect(() => {
    if (!editable) return
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || isTyping(e.target)) return
      const key = e.key.toLowerCase()
      if (key === 'z' && !e.shiftKey) undo()
      else if ((key === 'z' && e.shiftKey) || key === 'y') redo()
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [editable, undo, redo])

  const addAt = useCallback(
    (type: NodeTypeDto, screen?: { x: number; y: number }) => {
      let point = screen
      if (!point) {
        const box = canvasBox.current?.getBoundingClientRect()
        const jitter = (graph.nodes.length % 5) * 24
        point = box
          ? { x: box.left + box.width / 2 + jitter, y: box.top + box.height / 2 + jitter }
          : { x: 200, y: 200 }
      }
      const p = screenToFlowPosition(point)
      change((g) => addNode(g, type, { x: p.x - 112, y: p.y - 32 }), null, true)
    },
    [change, screenToFlowPosition, graph.nodes.length],
  )

  const connect = useCallback(
    (edge: FlowEdge) => {
      const problem = connectionProblem(graph, typeMap, edge)
      if (problem) return problem
      change((g) => addEdge(g, edge), null, true)
      return null
    },
    [graph, typeMap, change],
  )

  const remove = useCallback(
    (nodeIds: string[], edgeIds: string[]) => {
      change((g) => removeElements(g, new Set(nodeIds), new Set(edgeIds)), null, true)
      setSelection(NO_SELECTION)
    },
    [change],
  )

  const editing = useMemo(
    () =>
      editable
        ? {
            change,
            recordFrom: history.recordFrom,
            connect: (edge: FlowEdge) => {
              const problem = connect(edge)
              if (problem) notify(problem, 'error')
            },
            canConnect: (edge: FlowEdge) => connectionProblem(graph, typeMap, edge) === null,
            remove,
            drop: (type: string, screen: { x: number; y: number }) => {
              const t = typeMap.get(type)
              if (t) addAt(t, screen)
            },
          }
        : undefined,
    [editable, change, history.recordFrom, connect, graph, typeMap, remove, addAt, notify],
  )

  const publish = useMutation({
    mutationFn: async () => {
      await save.flush()
      return publishFlow(flow.id)
    },
    onSuccess: ({ webhookSecret, ...published }) => {
      qc.setQueryData(flowKeys.flow(flow.id), published)
      void qc.invalidateQueries({ queryKey: flowKeys.lists })
      setPublishIssues(null)
      notify(`Published version ${published.publishedVersion?.number ?? ''}`.trim())
      // A webhook flow needs its URL: shown if publishing made one, else the dialog offers to make it.
      if (webhookSecret) setSecret(webhookSecret)
      if (webhookSecret || (hasWebhookRef.current && !published.webhook)) setDialog('webhook')
    },
    onError: (e) => {
      if (isApiError(e, 'flows.invalid_graph')) setPublishIssues({ graph, issues: graphIssuesOf(e) })
      notify(errorMessage(e), 'error')
    },
  })

  const hasWebhook = graph.nodes.some((n) => {
    const t = typeMap.get(n.type)
    return t?.kind === 'trigger' && /webhook/i.test(t.type)
  })
  hasWebhookRef.current = hasWebhook
  const selectedNode = selection.nodes.length === 1 ? graph.nodes.find((n) => n.id === selection.nodes[0]) : undefined
  const nodeNames = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.name])), [graph.nodes])
  const nodeIssues = selectedNode
    ? validation.issues
        .filter((i) => i.nodeId === selectedNode.id)
        .map((i) => ({ ...i, path: i.path[0] === 'config' ? i.path.slice(1) : i.path }))
    : []

  return (
    <div className="space-y-3">
      <EditorHeader
        flow={flow}
        name={name}
        onName={setName}
        editable={editable}
        admin={admin}
        member={member}
        save={save}
        validation={validation}
        canUndo={history.canUndo}
        canRedo={history.canRedo}
        onUndo={history.undo}
        onRedo={history.redo}
        onPublish={() => publish.mutate()}
        publishing={publish.isPending}
        onRun={() => setDialog('run')}
        onWebhook={() => setDialog('webhook')}
        hasWebhook={hasWebhook}
      />
      {save.status === 'stale' && (
        <Alert tone="warning" title="Someone else changed this flow">
          <p>
            Your last change was not saved because the draft changed since you opened it. Reload to get the latest
            draft.
          </p>
          <Button variant="secondary" className="mt-2" onClick={onReload}>
            Reload the draft
          </Button>
        </Alert>
      )}
      {save.status === 'error' && (
        <Alert tone="error" title="Could not save the draft">
          <p>{errorMessage(save.error)} Your next change tries again.</p>
          <Button variant="secondary" className="mt-2" onClick={() => void save.flush().catch(() => undefined)}>
            Try again
          </Button>
        </Alert>
      )}
      {validation.general.length > 0 && (
        <Alert tone="error" title="This flow cannot be published yet">
          <ul className="list-disc pl-5">
            {validation.general.map((i, n) => (
              <li key={n}>{i.nodeId ? `${i.nodeId}: ${i.message}` : i.message}</li>
            ))}
          </ul>
        </Alert>
      )}
      {/* Wide screens: canvas and one side panel (the palette, or the selected node's settings); narrower: the palette
          beside (or above) the canvas and the settings below it. */}
      <div
        className={cx(
          'grid grid-cols-1 gap-3',
          editable
            ? 'md:grid-cols-[11rem_minmax(0,1fr)] xl:grid-cols-[minmax(0,1fr)_22rem]'
            : 'xl:grid-cols-[minmax(0,1fr)_22rem]',
        )}
      >
        {editable && (
          <aside className="rounded-lg border border-slate-200 bg-white p-2 md:max-h-[calc(100vh-14rem)] md:overflow-y-auto xl:hidden">
            <Palette types={types} onAdd={(t) => addAt(t)} />
          </aside>
        )}
        <div
          ref={canvasBox}
          className="h-[60vh] min-h-80 overflow-hidden rounded-lg border border-slate-200 bg-white md:h-[calc(100vh-14rem)]"
        >
          <FlowCanvas
            graph={graph}
            types={typeMap}
            selection={selection}
            onSelection={setSelection}
            issues={validation.byNode}
            statuses={statuses}
            editing={editing}
            label={`Canvas of ${flow.name}`}
          />
        </div>
        <aside
          aria-label="Node settings"
          className={cx(
            'rounded-lg border border-slate-200 bg-white p-4 xl:col-span-1 xl:max-h-[calc(100vh-14rem)] xl:overflow-y-auto',
            editable && 'md:col-span-2',
          )}
        >
          {selectedNode ? (
            <NodePanel
              key={selectedNode.id}
              node={selectedNode}
              clientId={flow.clientId}
              graph={graph}
              types={typeMap}
              issues={nodeIssues}
              readOnly={!editable}
              credentials={credentials.data ?? null}
              onChange={(patch, key) => change((g) => updateNode(g, selectedNode.id, patch), key, true)}
              onRemove={() => remove([selectedNode.id], [])}
              onConnect={connect}
              onRemoveEdge={(id) => remove([], [id])}
              onDone={() => setSelection(NO_SELECTION)}
            />
          ) : (
            <div className="space-y-4">
              <EmptyPanel
                editable={editable}
                count={graph.nodes.length}
                selectedEdges={selection.edges}
                onRemoveEdges={(ids) => remove([], ids)}
              />
              {editable && (
                <div className="hidden xl:block">
                  <Palette types={types} onAdd={(t) => addAt(t)} />
                </div>
              )}
            </div>
          )}
        </aside>
      </div>
      {runId && (
        <div className="h-96">
          <RunConsoleView runId={runId} {...stream} nodeNames={nodeNames} onClose={() => setRunId(null)} />
        </div>
      )}
      <TestRunDialog
        key={dialog === 'run' ? 'open' : 'closed'}
        flow={flow}
        open={dialog === 'run'}
        onClose={() => setDialog(null)}
        admin={admin}
        beforeDraftRun={save.flush}
        onStarted={(id) => {
          setRunId(id)
          notify('Run started')
        }}
      />
      <WebhookDialog
        flow={flow}
        open={dialog === 'webhook'}
        onClose={() => setDialog(null)}
        admin={admin}
        secret={secret}
        onSecret={setSecret}
      />
    </div>
  )
}

function EmptyPanel({
  editable,
  count,
  selectedEdges,
  onRemoveEdges,
}: {
  editable: boolean
  count: number
  selectedEdges: string[]
  onRemoveEdges: (ids: string[]) => void
}) {
  if (selectedEdges.length > 0 && editable)
    return (
      <div className="space-y-3 text-sm text-slate-700">
        <p>
          {selectedEdges.length === 1
            ? 'A connection is selected.'
            : `${selectedEdges.length} connections are selected.`}
        </p>
        <Button variant="danger" onClick={() => onRemoveEdges(selectedEdges)}>
          Remove {selectedEdges.length === 1 ? 'connection' : 'connections'}
        </Button>
      </div>
    )
  return (
    <div className="space-y-2 text-sm text-slate-600">
      <p>{count === 0 && editable ? 'Start with a trigger from the palette.' : 'Select a node to see its settings.'}</p>
      {editable && (
        <ul className="list-disc space-y-1 pl-5 text-xs">
          <li>Drag a node from the palette, or press it to add it in view.</li>
          <li>Drag from an output dot to an input dot to connect; or use the node&apos;s Connections.</li>
          <li>Delete or Backspace removes the selection; Ctrl+Z undoes, Ctrl+Shift+Z redoes.</li>
          <li>Tab to a node and press Enter to select it; arrow keys move it.</li>
        </ul>
      )}
    </div>
  )
}
