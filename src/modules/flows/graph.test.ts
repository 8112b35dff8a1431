import { describe, expect, it } from 'vitest'
import type { FlowGraph } from '../../../contracts/flows.ts'
import { compileGraph, validateGraph } from './graph.ts'
import { CORE_SPECS } from './nodes/specs.ts'
import { createNodeRegistry, type NodeType } from './registry.ts'

const registry = createNodeRegistry()
registry.register(...CORE_SPECS.map((s) => ({ ...s, execute: async () => ({ output: null }) }) as NodeType))

const n = (id: string, type: string, config: Record<string, unknown> = {}) => ({
  id,
  type,
  name: id,
  position: { x: 0, y: 0 },
  config,
})
const e = (from: string, to: string, fromPort = 'out', toPort = 'in') => ({ from, fromPort, to, toPort })
const graph = (nodes: FlowGraph['nodes'], edges: FlowGraph['edges'] = []): FlowGraph => ({ nodes, edges })
const messages = (g: FlowGraph) => validateGraph(registry, g).map((i) => [i.nodeId, i.path.join('.'), i.message])

describe('graph validation', () => {
  it('accepts a trigger → condition → two branches graph', () => {
    const g = graph(
      [
        n('t', 'core.manual'),
        n('c', 'core.condition', { if: { $expr: 'x > 1' } }),
        n('a', 'core.set', { fields: {} }),
        n('b', 'core.set', { fields: {} }),
      ],
      [e('t', 'c'), e('c', 'a', 'true'), e('c', 'b', 'false')],
    )
    expect(validateGraph(registry, g)).toEqual([])
    const compiled = compileGraph(registry, g)
    expect(compiled.trigger).toBe('t')
    expect(
      compiled.nodes
        .get('c')!
        .outgoing.get('true')!
        .map((x) => x.to),
    ).toEqual(['a'])
  })

  it('pins config errors on the node and the field', () => {
    const issues = validateGraph(
      registry,
      graph([n('t', 'core.manual'), n('call', 'core.http', { url: 'not a url' })], [e('t', 'call')]),
    )
    expect(issues).toEqual([expect.objectContaining({ nodeId: 'call', path: ['config', 'url'] })])
  })

  it('needs exactly one trigger, without incoming edges', () => {
    expect(messages(graph([n('s', 'core.set', { fields: {} })]))[0]![2]).toMatch(/needs one trigger/)
    const two = validateGraph(registry, graph([n('a', 'core.manual'), n('b', 'core.manual')]))
    expect(two.length).toBeGreaterThan(0)
    expect(two.every((i) => i.nodeId === 'b')).toBe(true)
  })

  it('refuses unknown types, missing ports, duplicate ids, unreachable nodes and cycles', () => {
    expect(messages(graph([n('t', 'core.manual'), n('x', 'core.nope')], [e('t', 'x')]))).toContainEqual([
      'x',
      'type',
      'Unknown node type "core.nope".',
    ])
    expect(
      messages(graph([n('t', 'core.manual'), n('c', 'core.condition', { if: true })], [e('t', 'c', 'maybe')]))[0]![2],
    ).toMatch(/has no output "maybe"/)
    expect(messages(graph([n('t', 'core.manual'), n('t', 'core.manual')]))[0]![2]).toMatch(/Two nodes have the id/)
    expect(messages(graph([n('t', 'core.manual'), n('lonely', 'core.set', { fields: {} })]))).toContainEqual([
      'lonely',
      '',
      '"lonely" is not connected to the trigger.',
    ])
    const cycle = graph(
      [n('t', 'core.manual'), n('a', 'core.set', { fields: {} }), n('b', 'core.set', { fields: {} })],
      [e('t', 'a'), e('a', 'b'), e('b', 'a')],
    )
    expect(messages(cycle).some((m) => /cycle/.test(m[2] as string))).toBe(true)
  })

  it('keeps loop bodies closed', () => {
    const ok = graph(
      [
        n('t', 'core.manual'),
        n('l', 'core.loop', { items: { $expr: 'items' } }),
        n('body', 'core.set', { fields: {} }),
        n('after', 'core.set', { fields: {} }),
      ],
      [e('t', 'l'), e('l', 'body', 'each'), e('l', 'after', 'done')],
    )
    expect(validateGraph(registry, ok)).toEqual([])
    expect(compileGraph(registry, ok).bodies.get('l')).toEqual(['body'])
    const leaking = { ...ok, edges: [...ok.edges, e('body', 'after')] }
    expect(messages(leaking).some((m) => /inside the loop "l"/.test(m[2] as string))).toBe(true)
  })

  it("checks an AI step's tools as the actions they are", () => {
    const g = graph(
      [
        n('t', 'core.manual'),
        n('ai', 'core.ai', {
          prompt: 'hi',
          tools: [
            { name: 'save', description: 'Save', type: 'core.http', config: { url: 'nope' } },
            { name: 'route', description: 'Route', type: 'core.condition', config: { if: true } },
          ],
        }),
      ],
      [e('t', 'ai')],
    )
    expect(validateGraph(registry, g).map((i) => i.path.join('.'))).toEqual([
      'config.tools.0.config.url',
      'config.tools.1.type',
    ])
  })

  it('checks expressions with the sandbox parser it is given', () => {
    const issues = validateGraph(
      registry,
      graph([n('t', 'core.manual'), n('s', 'core.set', { fields: { a: { $expr: '((' } } })], [e('t', 's')]),
      {
        checkExpression: (src) => (src === '((' ? 'unbalanced' : null),
      },
    )
    expect(issues).toEqual([{ nodeId: 's', path: ['config', 'fields', 'a'], message: 'Expression: unbalanced' }])
  })
})
