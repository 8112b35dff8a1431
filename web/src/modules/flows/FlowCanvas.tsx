import { Background, Controls, ReactFlow } from '@xyflow/react'
import type { Connection, Edge, EdgeChange, NodeChange } from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { useCallback, useMemo, useRef, useState } from 'react'
import type { DragEvent, ReactNode } from 'react'
import type { FlowEdge, FlowGraph, NodeTypeDto, StepStatus } from '../../../../contracts/flows.ts'
import { edgeId, inputsOf, outputsOf } from './graph.ts'
import { nodeTypes } from './FlowNodeView.tsx'
import type { FlowRfNode } from './FlowNodeView.tsx'

export type Selection = { nodes: string[]; edges: string[] }
export const NO_SELECTION: Selection = { nodes: [], edges: [] }

type Editing = {
  /** Applies a graph change; `record: false` is not an undo step (a drag in progress). */
  change: (update: (g: FlowGraph) => FlowGraph, key: string | null, record: boolean) => void
  /** Records the graph as it was when a drag started. */
  recordFrom: (before: FlowGraph) => void
  connect: (edge: FlowEdge) => void
  canConnect: (edge: FlowEdge) => boolean
  remove: (nodeIds: string[], edgeIds: string[]) => void
  drop: (type: string, screen: { x: number; y: number }) => void
}

type Props = {
  graph: FlowGraph
  types: Map<string, NodeTypeDto>
  selection: Selection
  onSelection: (s: Selection) => void
  issues?: Map<string, string[]>
  statuses?: Map<string, StepStatus>
  /** A trace: the nodes and edges the run went through (the rest is dimmed). */
  taken?: { nodes: Set<string>; edges: Set<string> } | undefined
  editing?: Editing | undefined
  label: string
  children?: ReactNode
}

export const PALETTE_MIME = 'application/x-camarad-node-type'

const toFlowEdge = (c: Connection | Edge): FlowEdge => ({
  from: c.source,
  fromPort: c.sourceHandle ?? 'out',
  to: c.target,
  toPort: c.targetHandle ?? 'in',
})

/** The graph drawn with @xyflow/react: editable when `editing` is given, read-only (a trace) otherwise. */
export function FlowCanvas({
  graph,
  types,
  selection,
  onSelection,
  issues,
  statuses,
  taken,
  editing,
  label,
  children,
}: Props) {
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({})
  const graphRef = useRef(graph)
  graphRef.current = graph
  const dragStart = useRef<FlowGraph | null>(null)
  const selectionRef = useRef(selection)
  selectionRef.current = selection

  const nodes = useMemo<FlowRfNode[]>(() => {
    const selected = new Set(selection.nodes)
    return graph.nodes.map((n) => {
      const type = types.get(n.type)
      return {
        id: n.id,
        type: 'flow',
        position: n.position,
        selected: selected.has(n.id),
        ...(measured[n.id] ? { measured: measured[n.id] } : {}),
        ariaLabel: `${type?.label ?? n.type} node ${n.name}`,
        data: {
          node: n,
          type,
          inputs: type?.kind === 'trigger' ? [] : inputsOf(type),
          outputs: outputsOf(n, type, graph.edges),
          issues: issues?.get(n.id) ?? [],
          status: statuses?.get(n.id),
          taken: taken ? taken.nodes.has(n.id) : undefined,
        },
      }
    })
  }, [graph, types, selection.nodes, measured, issues, statuses, taken])

  const edges = useMemo<Edge[]>(() => {
    const selected = new Set(selection.edges)
    return graph.edges.map((e) => {
      const id = edgeId(e)
      const on = taken?.edges.has(id)
      return {
        id,
        source: e.from,
        sourceHandle: e.fromPort,
        target: e.to,
        targetHandle: e.toPort,
        selected: selected.has(id),
        animated: !!statuses && statuses.get(e.to) === 'started',
        ariaLabel: `Edge from ${e.from} ${e.fromPort} to ${e.to} ${e.toPort}`,
        style: taken ? (on ? { stroke: '#16a34a', strokeWidth: 3 } : { opacity: 0.35 }) : undefined,
      }
    })
  }, [graph.edges, selection.edges, taken, statuses])

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowRfNode>[]) => {
      const dims: Record<string, { width: number; height: number }> = {}
      const moves = new Map<string, { x: number; y: number }>()
      let select: Selection | null = null
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) dims[c.id] = c.dimensions
        else if (c.type === 'position' && c.position) moves.set(c.id, c.position)
        else if (c.type === 'select') {
          select ??= { ...selectionRef.current, nodes: [...selectionRef.current.nodes] }
          select.nodes = c.selected ? [...new Set([...select.nodes, c.id])] : select.nodes.filter((id) => id !== c.id)
        }
      }
      if (Object.keys(dims).length) setMeasured((m) => ({ ...m, ...dims }))
      if (select) onSelection(select)
      if (moves.size && editing) {
        const update = (g: FlowGraph) => ({
          ...g,
          nodes: g.nodes.map((n) => {
            const p = moves.get(n.id)
            return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n
          }),
        })
        // A mouse drag is one undo step (recorded when it ends); arrow-key moves are coalesced.
        editing.change(update, dragStart.current ? null : 'keyboard-move', !dragStart.current)
      }
    },
    [editing, onSelection],
  )

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let select: Selection | null = null
      for (const c of changes) {
        if (c.type !== 'select') continue
        select ??= { ...selectionRef.current, edges: [...selectionRef.current.edges] }
        select.edges = c.selected ? [...new Set([...select.edges, c.id])] : select.edges.filter((id) => id !== c.id)
      }
      if (select) onSelection(select)
    },
    [onSelection],
  )

  const onDragOver = (e: DragEvent) => {
    if (!editing || !e.dataTransfer.types.includes(PALETTE_MIME)) return
    e.preventDefault()
    e.dataTransfer.dropEffect = 'copy'
  }
  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(PALETTE_MIME)
    if (!editing || !type) return
    e.preventDefault()
    editing.drop(type, { x: e.clientX, y: e.clientY })
  }

  return (
    <div className="h-full w-full" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<FlowRfNode, Edge>
        aria-label={label}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={
          editing
            ? ({ nodes: n, edges: e }) =>
                editing.remove(
                  n.map((x) => x.id),
                  e.map((x) => x.id),
                )
            : undefined
        }
        onConnect={editing ? (c) => editing.connect(toFlowEdge(c)) : undefined}
        isValidConnection={editing ? (c) => editing.canConnect(toFlowEdge(c as Connection)) : undefined}
        onNodeDragStart={() => {
          dragStart.current = graphRef.current
        }}
        onNodeDragStop={() => {
          if (dragStart.current && editing) editing.recordFrom(dragStart.current)
          dragStart.current = null
        }}
        onPaneClick={() => onSelection(NO_SELECTION)}
        nodesDraggable={!!editing}
        nodesConnectable={!!editing}
        deleteKeyCode={editing ? ['Backspace', 'Delete'] : null}
        fitView
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        minZoom={0.2}
        colorMode="light"
      >
        <Background gap={20} />
        <Controls showInteractive={false} />
        {children}
      </ReactFlow>
    </div>
  )
}
