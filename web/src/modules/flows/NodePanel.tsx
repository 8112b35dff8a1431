import { useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type {
  CredentialDto,
  FlowEdge,
  FlowGraph,
  FlowNode,
  GraphIssue,
  NodeTypeDto,
} from '../../../../contracts/flows.ts'
import { channelKeys, listChannels } from '../channels/index.ts'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { edgeId, inputsOf, outputsOf } from './graph.ts'
import { NodeIcon } from './icons.tsx'
import { ScheduleNext } from './ScheduleNext.tsx'
import { SchemaForm } from './SchemaForm.tsx'
import type { JsonSchema } from './schema.ts'

type Props = {
  node: FlowNode
  clientId: string
  graph: FlowGraph
  types: Map<string, NodeTypeDto>
  issues: GraphIssue[]
  readOnly: boolean
  credentials: CredentialDto[] | null
  onChange: (patch: Partial<FlowNode>, key: string) => void
  onRemove: () => void
  onConnect: (edge: FlowEdge) => string | null
  onRemoveEdge: (id: string) => void
  /** Closes the panel (unselects the node). */
  onDone: () => void
}

/** The selected node's settings: name, config form from its schema, and its connections (also by keyboard). */
export function NodePanel({
  node,
  clientId,
  graph,
  types,
  issues,
  readOnly,
  credentials,
  onChange,
  onRemove,
  onConnect,
  onRemoveEdge,
  onDone,
}: Props) {
  const type = types.get(node.type)
  const [nameDraft, setNameDraft] = useState<string | null>(null)
  // A node with a number field (the WhatsApp trigger) picks among the client's numbers.
  const wantsNumbers = Boolean((type?.configSchema as JsonSchema | undefined)?.properties?.channelId)
  const numbers = useQuery({
    queryKey: channelKeys.list(clientId),
    queryFn: ({ signal }) => listChannels(clientId, signal),
    enabled: wantsNumbers && !readOnly,
    retry: false,
  })
  const general = issues.filter((i) => i.path.length === 0 || (i.path.length === 1 && i.path[0] === 'config'))
  return (
    <div className="space-y-5">
      <header className="flex items-start gap-2">
        <span className="rounded-md bg-slate-100 p-1.5 text-slate-700">
          <NodeIcon name={type?.icon ?? ''} />
        </span>
        <div className="min-w-0 flex-1">
          <h2 className="truncate text-base font-semibold text-slate-900">{type?.label ?? node.type}</h2>
          <p className="text-xs text-slate-500">
            id <code>{node.id}</code>
            {type &&
              type.effect !== 'none' &&
              ` · ${type.effect === 'external' ? 'calls the outside world' : 'writes data'}`}
          </p>
        </div>
        <Button variant="ghost" className="shrink-0 py-1" onClick={onDone}>
          Done<span className="sr-only"> with this node</span>
        </Button>
      </header>
      {type?.description && <p className="text-sm text-slate-600">{type.description}</p>}
      {!type && <p className="text-sm text-red-700">This node type is not available on this server.</p>}
      {general.length > 0 && (
        <ul
          role="alert"
          className="list-disc space-y-1 rounded-md border border-red-200 bg-red-50 py-2 pr-3 pl-7 text-sm text-red-800"
        >
          {general.map((i, n) => (
            <li key={n}>{i.message}</li>
          ))}
        </ul>
      )}
      <Field label="Name" error={nameDraft !== null ? 'A node needs a name.' : null}>
        {(control) => (
          <Input
            {...control}
            disabled={readOnly}
            maxLength={80}
            value={nameDraft ?? node.name}
            onChange={(e) => {
              if (e.target.value.trim()) {
                setNameDraft(null)
                onChange({ name: e.target.value }, `name:${node.id}`)
              } else setNameDraft(e.target.value)
            }}
          />
        )}
      </Field>
      <label className="flex items-center gap-2 text-sm text-slate-800">
        <input
          type="checkbox"
          className="size-4 rounded border-slate-300"
          disabled={readOnly}
          checked={node.disabled === true}
          onChange={(e) => onChange({ disabled: e.target.checked || undefined }, `disabled:${node.id}`)}
        />
        Disabled (runs pass through it)
      </label>
      {type && (
        <section aria-label="Settings" className="space-y-3">
          <h3 className="text-sm font-semibold text-slate-900">Settings</h3>
          <SchemaForm
            schema={type.configSchema as JsonSchema}
            value={node.config}
            onChange={(config) => onChange({ config }, `config:${node.id}`)}
            issues={issues.filter((i) => i.path.length > 0)}
            disabled={readOnly}
            credentials={credentials}
            channels={numbers.data?.items.map((c) => ({ id: c.id, name: c.name, phone: c.phone })) ?? null}
          />
          {node.type === 'core.schedule' && <ScheduleNext clientId={clientId} config={node.config} />}
        </section>
      )}
      <Connections
        node={node}
        graph={graph}
        types={types}
        readOnly={readOnly}
        onConnect={onConnect}
        onRemoveEdge={onRemoveEdge}
      />
      {!readOnly && (
        <Button variant="danger" onClick={onRemove}>
          Delete node
        </Button>
      )}
    </div>
  )
}

function Connections({
  node,
  graph,
  types,
  readOnly,
  onConnect,
  onRemoveEdge,
}: Pick<Props, 'node' | 'graph' | 'types' | 'readOnly' | 'onConnect' | 'onRemoveEdge'>) {
  const outputs = outputsOf(node, types.get(node.type), graph.edges)
  const targets = graph.nodes.filter((n) => n.id !== node.id && types.get(n.type)?.kind !== 'trigger')
  const [port, setPort] = useState(outputs[0] ?? 'out')
  const [target, setTarget] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const portId = useId()
  const targetId = useId()
  const name = (id: string) => graph.nodes.find((n) => n.id === id)?.name ?? id
  const linked = graph.edges.filter((e) => e.from === node.id || e.to === node.id)
  const connect = () => {
    const [to, toPort] = target.split('\u0000')
    if (!to || !toPort) return
    const p = onConnect({ from: node.id, fromPort: outputs.includes(port) ? port : (outputs[0] ?? 'out'), to, toPort })
    setProblem(p)
    if (!p) setTarget('')
  }
  return (
    <section aria-label="Connections" className="space-y-2">
      <h3 className="text-sm font-semibold text-slate-900">Connections</h3>
      {linked.length === 0 ? (
        <p className="text-sm text-slate-600">Not connected.</p>
      ) : (
        <ul className="space-y-1 text-sm">
          {linked.map((e) => (
            <li key={edgeId(e)} className="flex items-center justify-between gap-2">
              <span className="min-w-0 truncate text-slate-700">
                {e.from === node.id ? `${e.fromPort} → ${name(e.to)}` : `${name(e.from)} (${e.fromPort}) →`}
                {e.toPort !== 'in' && ` [${e.toPort}]`}
              </span>
              {!readOnly && (
                <button
                  type="button"
                  className="rounded px-1.5 text-xs text-red-700 hover:bg-red-50"
                  onClick={() => onRemoveEdge(edgeId(e))}
                >
                  Remove<span className="sr-only"> connection</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!readOnly && outputs.length > 0 && targets.length > 0 && (
        <div className="flex flex-wrap items-end gap-2">
          <div className="space-y-1">
            <label htmlFor={portId} className="block text-xs text-slate-600">
              From output
            </label>
            <Select id={portId} value={port} onChange={(e) => setPort(e.target.value)} className="w-auto">
              {outputs.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </Select>
          </div>
          <div className="min-w-0 flex-1 space-y-1">
            <label htmlFor={targetId} className="block text-xs text-slate-600">
              To node
            </label>
            <Select id={targetId} value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">Choose…</option>
              {targets.flatMap((n) =>
                inputsOf(types.get(n.type)).map((input) => (
                  <option key={`${n.id}:${input}`} value={`${n.id}\u0000${input}`}>
                    {n.name}
                    {input !== 'in' ? ` (${input})` : ''}
                  </option>
                )),
              )}
            </Select>
          </div>
          <Button variant="secondary" disabled={!target} onClick={connect}>
            Connect
          </Button>
          {problem && <p className="w-full text-sm text-red-700">{problem}</p>}
        </div>
      )}
    </section>
  )
}
