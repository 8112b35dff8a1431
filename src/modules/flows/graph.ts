import type { FlowEdge, FlowGraph, FlowNode, GraphIssue } from '../../../contracts/flows.ts'
import type { NodeRegistry, NodeType } from './registry.ts'

/**
 * A flow graph's rules and its compiled shape. Rules: unique node ids, known types, configs that parse, edges between
 * existing ports, exactly one trigger (with no incoming edge), every node reachable from it, no cycle, and loop bodies
 * closed: what a loop's `each` port reaches is its body, which leads nowhere outside itself (the loop's `done` port
 * continues the flow with the collected outputs), so the graph stays acyclic and every step has one key per iteration.
 */

export type CompiledNode = {
  node: FlowNode
  type: NodeType
  /** Edges into this node. */
  incoming: FlowEdge[]
  /** Edges out of this node, by port. */
  outgoing: Map<string, FlowEdge[]>
  /** Position in a deterministic topological order (ties by node id). */
  order: number
  /** The innermost loop whose body holds this node. */
  loop: string | null
}

export type CompiledGraph = {
  graph: FlowGraph
  nodes: Map<string, CompiledNode>
  trigger: string
  /** Body of each loop (node ids), in topological order. */
  bodies: Map<string, string[]>
}

const isExpr = (v: unknown): v is { $expr: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { $expr?: unknown }).$expr === 'string'

/** Every `{ $expr }` in a config, with its path. */
export const expressionsIn = (
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; source: string }[] => {
  if (isExpr(value)) return [{ path, source: value.$expr }]
  if (Array.isArray(value)) return value.flatMap((v, i) => expressionsIn(v, [...path, i]))
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => expressionsIn(v, [...path, k]))
  return []
}

/** Topological order of `ids` over `edges` (Kahn), ties broken by node id; null when there is a cycle. */
const topoSort = (ids: string[], edges: FlowEdge[]) => {
  const indegree = new Map(ids.map((id) => [id, 0]))
  const next = new Map<string, string[]>(ids.map((id) => [id, []]))
  for (const e of edges) {
    if (!indegree.has(e.from) || !indegree.has(e.to)) continue
    indegree.set(e.to, indegree.get(e.to)! + 1)
    next.get(e.from)!.push(e.to)
  }
  const ready = ids.filter((id) => indegree.get(id) === 0).sort()
  const out: string[] = []
  while (ready.length) {
    const id = ready.shift()!
    out.push(id)
    for (const to of next.get(id)!) {
      indegree.set(to, indegree.get(to)! - 1)
      if (indegree.get(to) === 0) {
        ready.push(to)
        ready.sort()
      }
    }
  }
  return out.length === ids.length ? out : null
}

/** Nodes reachable from `starts` following `edges` (excluding `stopAt`). */
const reach = (starts: string[], edges: FlowEdge[], stopAt?: string) => {
  const seen = new Set<string>()
  const stack = [...starts]
  while (stack.length) {
    const id = stack.pop()!
    if (seen.has(id) || id === stopAt) continue
    seen.add(id)
    for (const e of edges) if (e.from === id) stack.push(e.to)
  }
  return seen
}

export type GraphCheckOptions = { checkExpression?: (source: string) => string | null }

/** Every rule the graph breaks, pinned to node ids and config paths. Empty: the graph may be published and run. */
export const validateGraph = (registry: NodeRegistry, graph: FlowGraph, opts: GraphCheckOptions = {}): GraphIssue[] => {
  const issues: GraphIssue[] = []
  const issue = (nodeId: string | null, path: (string | number)[], message: string) =>
    issues.push({ nodeId, path, message })
  const nodes = new Map<string, FlowNode>()
  graph.nodes.forEach((n, i) => {
    if (nodes.has(n.id)) issue(n.id, ['nodes', i, 'id'], `Two nodes have the id "${n.id}".`)
    else nodes.set(n.id, n)
  })
  const types = new Map<string, NodeType>()
  for (const n of nodes.values()) {
    const type = registry.get(n.type)
    if (!type) {
      issue(n.id, ['type'], `Unknown node type "${n.type}".`)
      continue
    }
    types.set(n.id, type)
    const parsed = type.config.safeParse(n.config)
    if (!parsed.success)
      for (const z of parsed.error.issues) issue(n.id, ['config', ...(z.path as (string | number)[])], z.message)
    // An AI step's tools: other nodes' actions, configured as those nodes are.
    const tools = (n.config as { tools?: unknown }).tools
    if (type.lazy?.includes('tools') && Array.isArray(tools))
      tools.forEach((t: { type?: unknown; config?: unknown }, i) => {
        const action = typeof t?.type === 'string' ? registry.get(t.type) : undefined
        if (!action || action.kind !== 'action' || action.effect === 'none')
          return issue(n.id, ['config', 'tools', i, 'type'], `"${String(t?.type)}" is not an action a model can call.`)
        const checked = action.config.safeParse(t.config ?? {})
        if (!checked.success)
          for (const z of checked.error.issues)
            issue(n.id, ['config', 'tools', i, 'config', ...(z.path as (string | number)[])], z.message)
      })
    if (opts.checkExpression)
      for (const e of expressionsIn(n.config, ['config'])) {
        const error = opts.checkExpression(e.source)
        if (error) issue(n.id, e.path, `Expression: ${error}`)
      }
  }

  const edgeKeys = new Set<string>()
  const edges: FlowEdge[] = []
  graph.edges.forEach((e, i) => {
    const from = nodes.get(e.from)
    const to = nodes.get(e.to)
    if (!from || !to) {
      issue(from ? e.to : e.from, ['edges', i], `The edge ${e.from} → ${e.to} names a node that does not exist.`)
      return
    }
    const key = `${e.from}:${e.fromPort}>${e.to}:${e.toPort}`
    if (edgeKeys.has(key)) return issue(e.from, ['edges', i], `The edge ${e.from} → ${e.to} is there twice.`)
    edgeKeys.add(key)
    const fromType = types.get(e.from)
    const toType = types.get(e.to)
    if (fromType && !registry.outputsOf(fromType, from.config).includes(e.fromPort))
      return issue(e.from, ['edges', i, 'fromPort'], `"${from.name}" has no output "${e.fromPort}".`)
    if (toType && !toType.inputs.includes(e.toPort))
      return issue(e.to, ['edges', i, 'toPort'], `"${to.name}" has no input "${e.toPort}".`)
    if (e.from === e.to) return issue(e.from, ['edges', i], `"${from.name}" is connected to itself.`)
    edges.push(e)
  })

  const triggers = [...nodes.values()].filter((n) => types.get(n.id)?.kind === 'trigger')
  if (triggers.length === 0)
    issue(null, ['nodes'], 'A flow needs one trigger (manual, webhook, schedule or called by a flow).')
  if (triggers.length > 1)
    for (const t of triggers.slice(1)) issue(t.id, ['type'], 'A flow has one trigger; remove this one or the other.')
  for (const t of triggers)
    if (edges.some((e) => e.to === t.id)) issue(t.id, ['edges'], 'A trigger cannot have incoming connections.')

  if (!topoSort([...nodes.keys()], edges)) {
    issue(null, ['edges'], 'The flow has a cycle. Use a "Loop over items" node to repeat steps.')
    return issues
  }
  const trigger = triggers[0]
  if (trigger) {
    const reached = reach([trigger.id], edges)
    for (const n of nodes.values())
      if (!reached.has(n.id)) issue(n.id, [], `"${n.name}" is not connected to the trigger.`)
  }
  // Loop bodies are closed: nothing in a body leads outside it, and nothing outside enters it but through `each`.
  for (const [id, type] of types) {
    if (type.type !== 'core.loop') continue
    const body = reach(
      edges.filter((e) => e.from === id && e.fromPort === 'each').map((e) => e.to),
      edges,
      id,
    )
    for (const e of edges) {
      if (body.has(e.from) && !body.has(e.to))
        issue(
          e.from,
          ['edges'],
          `"${nodes.get(e.from)!.name}" is inside the loop "${nodes.get(id)!.name}" and cannot lead outside it.`,
        )
      if (!body.has(e.from) && body.has(e.to) && !(e.from === id && e.fromPort === 'each'))
        issue(
          e.to,
          ['edges'],
          `"${nodes.get(e.to)!.name}" is inside the loop "${nodes.get(id)!.name}" and can only be reached from its "each" output.`,
        )
    }
  }
  return issues
}

/**
 * The shape the engine walks: a graph that passed `validateGraph`. Throws on an invalid graph (a published version
 * always passed it; a test run of the draft is validated first).
 */
export const compileGraph = (registry: NodeRegistry, graph: FlowGraph): CompiledGraph => {
  const issues = validateGraph(registry, graph)
  if (issues.length) throw new Error(`flows: cannot compile an invalid graph: ${issues[0]!.message}`)
  const order = topoSort(
    graph.nodes.map((n) => n.id),
    graph.edges,
  )!
  const nodes = new Map<string, CompiledNode>()
  for (const node of graph.nodes)
    nodes.set(node.id, {
      node,
      type: registry.get(node.type)!,
      incoming: graph.edges.filter((e) => e.to === node.id),
      outgoing: new Map(),
      order: order.indexOf(node.id),
      loop: null,
    })
  for (const e of graph.edges) {
    const from = nodes.get(e.from)!
    from.outgoing.set(e.fromPort, [...(from.outgoing.get(e.fromPort) ?? []), e])
  }
  const bodies = new Map<string, string[]>()
  // Outer loops first (topological order), so a nested loop's body members end up with the innermost loop.
  for (const id of order) {
    const c = nodes.get(id)!
    if (c.type.type !== 'core.loop') continue
    const body = reach(
      (c.outgoing.get('each') ?? []).map((e) => e.to),
      graph.edges,
      id,
    )
    const members = order.filter((n) => body.has(n))
    bodies.set(id, members)
    for (const m of members) nodes.get(m)!.loop = id
  }
  const trigger = graph.nodes.find((n) => nodes.get(n.id)!.type.kind === 'trigger')!.id
  return { graph, nodes, trigger, bodies }
}
