import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { FlowGraph, FlowRunEvent, NodeTypeDto } from '../contracts/flows.ts'
import { exprOr } from '../src/modules/flows/registry.ts'
import { addNode, connectionProblem, defaultsOf, outputsOf, removeElements } from '../web/src/modules/flows/graph.ts'
import { EMPTY_RUN, applyRunEvent, runningNodes } from '../web/src/modules/flows/live-run.ts'
import { classify, emptyValue, humanize, parseScalar } from '../web/src/modules/flows/schema.ts'
import type { JsonSchema } from '../web/src/modules/flows/schema.ts'

/** A config schema as the API sends it: zod 4's JSON Schema of the input side. */
const jsonSchema = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' }) as JsonSchema

const nodeType = (over: Partial<NodeTypeDto>): NodeTypeDto => ({
  type: 'core.set',
  kind: 'logic',
  label: 'Set',
  description: '',
  icon: 'edit',
  configSchema: {},
  inputs: ['in'],
  outputs: ['out'],
  dynamicOutputs: false,
  effect: 'none',
  minRole: 'member',
  ...over,
})
const switchType = nodeType({ type: 'core.switch', label: 'Switch', outputs: [], dynamicOutputs: true })
const manualType = nodeType({ type: 'core.manual', kind: 'trigger', label: 'Manual', inputs: [] })
const setType = nodeType({})
const types = new Map([switchType, manualType, setType].map((t) => [t.type, t]))

const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({
  id,
  type,
  name: id,
  position: { x: 0, y: 0 },
  config,
})

describe('web flows: ports and edges', () => {
  it("gives a switch one port per case plus 'default', in order", () => {
    const n = node('sw', 'core.switch', {
      value: 1,
      cases: [
        { port: 'gold', equals: 1 },
        { port: 'silver', equals: 2 },
      ],
    })
    expect(outputsOf(n, switchType)).toEqual(['gold', 'silver', 'default'])
  })

  it('keeps drawing a port an edge still uses after its case is gone', () => {
    const n = node('sw', 'core.switch', { cases: [] })
    const edges = [{ from: 'sw', fromPort: 'old', to: 'x', toPort: 'in' }]
    expect(outputsOf(n, switchType, edges)).toEqual(['default', 'old'])
  })

  it('refuses an edge to a missing port, to the node itself, and a duplicate', () => {
    const graph: FlowGraph = {
      nodes: [node('start', 'core.manual'), node('set', 'core.set')],
      edges: [{ from: 'start', fromPort: 'out', to: 'set', toPort: 'in' }],
    }
    expect(connectionProblem(graph, types, { from: 'start', fromPort: 'nope', to: 'set', toPort: 'in' })).toMatch(
      /no output/,
    )
    expect(connectionProblem(graph, types, { from: 'set', fromPort: 'out', to: 'set', toPort: 'in' })).toMatch(/itself/)
    expect(connectionProblem(graph, types, { from: 'start', fromPort: 'out', to: 'set', toPort: 'in' })).toMatch(
      /already/,
    )
    expect(connectionProblem(graph, types, { from: 'set', fromPort: 'out', to: 'start', toPort: 'in' })).toMatch(
      /no input/,
    )
  })

  it('adds nodes with unique ids that fit the NodeId rule, and their schema defaults', () => {
    const t = nodeType({ configSchema: jsonSchema(z.object({ mode: z.enum(['a', 'b']).default('b'), x: z.string() })) })
    let g: FlowGraph = { nodes: [], edges: [] }
    g = addNode(g, t, { x: 10.4, y: 20.6 })
    g = addNode(g, t, { x: 0, y: 0 })
    expect(g.nodes.map((n) => [n.id, n.name])).toEqual([
      ['set', 'Set'],
      ['set2', 'Set 2'],
    ])
    expect(g.nodes[0]!.position).toEqual({ x: 10, y: 21 })
    expect(g.nodes[0]!.config).toEqual({ mode: 'b' })
    expect(defaultsOf({})).toEqual({})
  })

  it('removing a node removes its edges', () => {
    const graph: FlowGraph = {
      nodes: [node('a', 'core.manual'), node('b', 'core.set'), node('c', 'core.set')],
      edges: [
        { from: 'a', fromPort: 'out', to: 'b', toPort: 'in' },
        { from: 'b', fromPort: 'out', to: 'c', toPort: 'in' },
      ],
    }
    const after = removeElements(graph, new Set(['b']), new Set())
    expect(after.nodes.map((n) => n.id)).toEqual(['a', 'c'])
    expect(after.edges).toEqual([])
  })
})

describe('web flows: config forms from JSON Schema', () => {
  const schema = jsonSchema(
    z.strictObject({
      url: exprOr(z.string().url()),
      method: z.enum(['GET', 'POST']).default('GET'),
      value: exprOr(z.union([z.string(), z.number(), z.boolean(), z.null()])),
      headers: z.record(z.string(), exprOr(z.string())).optional(),
      cases: z.array(z.strictObject({ port: z.string(), equals: z.string() })),
      auth: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('none') }),
        z.object({ kind: z.literal('bearer'), token: z.string() }),
      ]),
      note: z.string().nullable(),
      anything: z.unknown(),
    }),
  )
  const kindOf = (key: string) => classify(schema.properties![key]!, schema).kind

  it('recognises the expression form, enums, records, arrays, tagged unions, nullables and unknowns', () => {
    expect(kindOf('url')).toBe('expr')
    expect(kindOf('method')).toBe('enum')
    expect(kindOf('headers')).toBe('record')
    expect(kindOf('cases')).toBe('array')
    expect(kindOf('auth')).toBe('variants')
    expect(kindOf('note')).toBe('nullable')
    expect(kindOf('anything')).toBe('json')
  })

  it('edits a scalar union behind an expression as one text field', () => {
    const k = classify(schema.properties!.value!, schema)
    expect(k.kind).toBe('expr')
    if (k.kind === 'expr') expect(classify(k.literal, schema).kind).toBe('scalar')
    expect([parseScalar('42'), parseScalar('true'), parseScalar('null'), parseScalar('gold')]).toEqual([
      42,
      true,
      null,
      'gold',
    ])
  })

  it('labels fields in words, acronyms in capitals and milliseconds as a unit', () => {
    expect(['url', 'credentialId', 'maxTokens', 'hmacHeader', 'timeoutMs', 'to_address'].map(humanize)).toEqual([
      'URL',
      'Credential ID',
      'Max tokens',
      'HMAC header',
      'Timeout (ms)',
      'To address',
    ])
  })

  it('starts a new array item or variant with its required fields', () => {
    const cases = schema.properties!.cases!
    expect(emptyValue(cases.items!, schema)).toEqual({ port: '', equals: '' })
    expect(emptyValue(schema.properties!.auth!, schema)).toEqual({ kind: 'none' })
  })
})

describe('web flows: the live console', () => {
  it('folds step events into one row per step key, in start order, with retries and the end', () => {
    const events: FlowRunEvent[] = [
      { type: 'run', data: { runId: 'r', flowId: 'f', status: 'running' } },
      { type: 'step-started', data: { key: 'start#0', nodeId: 'start', attempt: 1, input: { a: 1 } } },
      {
        type: 'step-completed',
        data: { key: 'start#0', nodeId: 'start', port: 'out', output: { a: 1 }, durationMs: 3 },
      },
      { type: 'step-started', data: { key: 'http#0', nodeId: 'http', attempt: 1 } },
      {
        type: 'step-retrying',
        data: { key: 'http#0', nodeId: 'http', error: { code: 'x', message: 'boom' }, at: 'later' },
      },
    ]
    let run = events.reduce(applyRunEvent, EMPTY_RUN)
    expect(run.steps.map((s) => [s.key, s.status])).toEqual([
      ['start#0', 'completed'],
      ['http#0', 'retrying'],
    ])
    expect([...runningNodes(run)]).toEqual(['http'])
    run = applyRunEvent(run, { type: 'step-started', data: { key: 'http#0', nodeId: 'http', attempt: 2 } })
    run = applyRunEvent(run, {
      type: 'step-failed',
      data: { key: 'http#0', nodeId: 'http', error: { code: 'y', message: 'no' } },
    })
    run = applyRunEvent(run, { type: 'done', data: { status: 'failed', steps: 2, credits: '0' } })
    expect(run.steps).toHaveLength(2)
    expect(run.steps[1]).toMatchObject({ status: 'failed', attempt: 2, error: { code: 'y' } })
    expect(run.status).toBe('failed')
    expect(runningNodes(run).size).toBe(0)
  })
})
