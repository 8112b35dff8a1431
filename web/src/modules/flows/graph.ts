import type { FlowEdge, FlowGraph, FlowNode, NodeTypeDto } from '../../../../contracts/flows.ts'

/** The output ports of a node: static ones, or for a dynamic node (a switch) the ones its config opens. */
export const outputsOf = (node: FlowNode, type: NodeTypeDto | undefined, edges: FlowEdge[] = []): string[] => {
  if (!type) return [...new Set(edges.filter((e) => e.from === node.id).map((e) => e.fromPort))]
  if (!type.dynamicOutputs) return type.outputs
  const ports = [...type.outputs]
  const cases = node.config.cases
  if (Array.isArray(cases)) {
    for (const c of cases) {
      const port = c && typeof c === 'object' ? (c as { port?: unknown }).port : undefined
      if (typeof port === 'string' && port.trim() && !ports.includes(port)) ports.push(port)
    }
    if (!ports.includes('default')) ports.push('default')
  }
  // A port an edge still uses stays drawn (the validator flags it) rather than leaving the edge dangling.
  for (const e of edges) if (e.from === node.id && !ports.includes(e.fromPort)) ports.push(e.fromPort)
  return ports
}

export const inputsOf = (type: NodeTypeDto | undefined) => type?.inputs ?? ['in']

export const edgeId = (e: FlowEdge) => `${e.from}:${e.fromPort}->${e.to}:${e.toPort}`

/** A readable id for a new node (`http`, `http2`…) that fits the NodeId rule and is unique in the graph. */
export const newNodeId = (type: string, graph: FlowGraph) => {
  const tail = type.split('.').pop() ?? 'node'
  let base = tail.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 30) || 'node'
  if (!/^[A-Za-z]/.test(base)) base = `n${base}`
  const taken = new Set(graph.nodes.map((n) => n.id))
  if (!taken.has(base)) return base
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`
}

const newNodeName = (label: string, graph: FlowGraph) => {
  const taken = new Set(graph.nodes.map((n) => n.name))
  if (!taken.has(label)) return label
  for (let i = 2; ; i++) if (!taken.has(`${label} ${i}`)) return `${label} ${i}`.slice(0, 80)
}

/** The defaults a JSON Schema declares for an object's properties (recursively for required objects). */
export const defaultsOf = (schema: unknown): Record<string, unknown> => {
  const s = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined
  const out: Record<string, unknown> = {}
  for (const [key, prop] of Object.entries(s?.properties ?? {})) {
    const p = prop as { default?: unknown; type?: unknown }
    if (p.default !== undefined) out[key] = structuredClone(p.default)
    else if (p.type === 'object' && s?.required?.includes(key) && p && 'properties' in p) out[key] = defaultsOf(p)
  }
  return out
}

export const addNode = (graph: FlowGraph, type: NodeTypeDto, position: { x: number; y: number }): FlowGraph => {
  const node: FlowNode = {
    id: newNodeId(type.type, graph),
    type: type.type,
    name: newNodeName(type.label, graph),
    position: { x: Math.round(position.x), y: Math.round(position.y) },
    config: defaultsOf(type.configSchema),
  }
  return { ...graph, nodes: [...graph.nodes, node] }
}

export const updateNode = (graph: FlowGraph, id: string, patch: Partial<FlowNode>): FlowGraph => ({
  ...graph,
  nodes: graph.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n)),
})

export const removeElements = (graph: FlowGraph, nodeIds: Set<string>, edgeIds: Set<string>): FlowGraph => ({
  nodes: graph.nodes.filter((n) => !nodeIds.has(n.id)),
  edges: graph.edges.filter((e) => !edgeIds.has(edgeId(e)) && !nodeIds.has(e.from) && !nodeIds.has(e.to)),
})

/** Why an edge cannot be drawn, or null when it can (ports exist, not to itself, not twice). */
export const connectionProblem = (graph: FlowGraph, types: Map<string, NodeTypeDto>, edge: FlowEdge): string | null => {
  if (edge.from === edge.to) return 'A node cannot connect to itself.'
  const from = graph.nodes.find((n) => n.id === edge.from)
  const to = graph.nodes.find((n) => n.id === edge.to)
  if (!from || !to) return 'Both nodes must exist.'
  if (!outputsOf(from, types.get(from.type), graph.edges).includes(edge.fromPort))
    return `${from.name} has no output "${edge.fromPort}".`
  if (!inputsOf(types.get(to.type)).includes(edge.toPort)) return `${to.name} has no input "${edge.toPort}".`
  if (graph.edges.some((e) => edgeId(e) === edgeId(edge))) return 'These ports are already connected.'
  return null
}

export const addEdge = (graph: FlowGraph, edge: FlowEdge): FlowGraph => ({ ...graph, edges: [...graph.edges, edge] })

/** Positions rounded (drags produce fractions); the graph otherwise as is. */
export const movedNode = (graph: FlowGraph, id: string, position: { x: number; y: number }) =>
  updateNode(graph, id, { position: { x: Math.round(position.x), y: Math.round(position.y) } })
