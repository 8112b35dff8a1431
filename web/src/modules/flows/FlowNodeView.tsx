import { Handle, Position, useUpdateNodeInternals } from '@xyflow/react'
import type { Node, NodeProps } from '@xyflow/react'
import { memo, useEffect, useRef } from 'react'
import type { FlowNode, NodeTypeDto, StepStatus } from '../../../../contracts/flows.ts'
import { cx } from '../../lib/cx.ts'
import { NodeIcon } from './icons.tsx'

export type FlowNodeData = {
  node: FlowNode
  type: NodeTypeDto | undefined
  inputs: string[]
  outputs: string[]
  issues: string[]
  /** The node's step status in the run shown (a live run, or a trace). */
  status?: StepStatus | undefined
  /** A trace: the run went through this node. */
  taken?: boolean | undefined
}
export type FlowRfNode = Node<FlowNodeData, 'flow'>

const KIND_ICON: Record<NodeTypeDto['kind'], string> = {
  trigger: 'bg-violet-100 text-violet-800',
  logic: 'bg-sky-100 text-sky-800',
  action: 'bg-emerald-100 text-emerald-800',
}

const STATUS_RING: Partial<Record<StepStatus, string>> = {
  started: 'ring-4 ring-sky-400 animate-pulse',
  retrying: 'ring-4 ring-amber-400 animate-pulse',
  waiting: 'ring-4 ring-indigo-300',
  completed: 'ring-2 ring-green-500',
  failed: 'ring-4 ring-red-400',
}

/** Spreads `n` handles along a side. */
const spread = (i: number, n: number) => ({ top: `${((i + 1) / (n + 1)) * 100}%` })

/** A node on the canvas: icon, type label, name, its input and output ports, and its validation issues. */
export const FlowNodeView = memo(function FlowNodeView({ id, data, selected }: NodeProps<FlowRfNode>) {
  const updateInternals = useUpdateNodeInternals()
  const portsKey = `${data.inputs.join(',')}|${data.outputs.join(',')}`
  const measuredPorts = useRef(portsKey)
  // A switch's cases are ports: xyflow measures handles once, so it is told when they change. Not on mount: xyflow
  // measures new nodes itself, and a node-by-node update then would fit the view to the first node alone.
  useEffect(() => {
    if (measuredPorts.current === portsKey) return
    measuredPorts.current = portsKey
    updateInternals(id)
  }, [id, portsKey, updateInternals])
  const { node, type, issues, status } = data
  const labelled = data.outputs.length > 1 || data.outputs.some((p) => p !== 'out')
  const height = Math.max(64, Math.max(data.inputs.length, data.outputs.length) * 22 + 20)
  return (
    <div
      className={cx(
        'w-56 rounded-lg border-2 bg-white text-left shadow-sm',
        issues.length > 0 ? 'border-red-500' : selected ? 'border-indigo-600' : 'border-slate-300',
        data.taken === false && 'opacity-50',
        node.disabled && 'border-dashed opacity-70',
        status && STATUS_RING[status],
      )}
    >
      <div
        className={cx('relative flex items-center gap-2 py-2 pl-3', labelled ? 'pr-14' : 'pr-3')}
        style={{ minHeight: height }}
      >
        {data.inputs.map((port, i) => (
          <Handle
            key={port}
            id={port}
            type="target"
            position={Position.Left}
            style={spread(i, data.inputs.length)}
            className="!size-3 !border-2 !border-white !bg-slate-500"
            title={`Input ${port}`}
          />
        ))}
        <span className={cx('rounded-md p-1.5', type ? KIND_ICON[type.kind] : 'bg-slate-100 text-slate-700')}>
          <NodeIcon name={type?.icon ?? ''} />
        </span>
        <span className="min-w-0 flex-1">
          <span className="block truncate text-xs text-slate-500">{type?.label ?? node.type}</span>
          <span className="block truncate text-sm font-semibold text-slate-900">{node.name}</span>
          {node.disabled && <span className="block text-xs text-slate-500">Disabled</span>}
        </span>
        {data.outputs.map((port, i) => (
          <Handle
            key={port}
            id={port}
            type="source"
            position={Position.Right}
            style={spread(i, data.outputs.length)}
            className="!size-3 !border-2 !border-white !bg-indigo-600"
            title={`Output ${port}`}
          >
            {labelled && (
              <span
                className={cx(
                  'pointer-events-none absolute top-1/2 right-3 -translate-y-1/2',
                  'rounded bg-white/90 px-1 text-[10px] whitespace-nowrap text-slate-600',
                )}
              >
                {port}
              </span>
            )}
          </Handle>
        ))}
      </div>
      {issues.length > 0 && (
        <ul className="space-y-0.5 border-t border-red-200 bg-red-50 px-3 py-1.5 text-xs text-red-800">
          {issues.slice(0, 3).map((m, i) => (
            <li key={i}>{m}</li>
          ))}
          {issues.length > 3 && <li>and {issues.length - 3} more</li>}
        </ul>
      )}
    </div>
  )
})

export const nodeTypes = { flow: FlowNodeView }
