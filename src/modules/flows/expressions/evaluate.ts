// Evaluating a batch of expressions: shared by the pool's child processes (worker.ts) and the main thread's fast path
// for simple expressions (pool.ts). It runs under Node's type stripping in the child, so it stays plain: no project
// imports, only jsonata and types.
import jsonata from 'jsonata'
import type { Request, Result, WorkerFailure, WorkerOptions } from './protocol.ts'

const CACHE_LIMIT = 500

class Refused extends Error {
  readonly kind: WorkerFailure['kind']
  constructor(kind: WorkerFailure['kind'], message: string) {
    super(message)
    this.kind = kind
  }
}

const isFunction = (value: unknown) =>
  typeof value === 'function' ||
  (typeof value === 'object' &&
    value !== null &&
    ((value as { _jsonata_lambda?: unknown })._jsonata_lambda === true ||
      (value as { _jsonata_function?: unknown })._jsonata_function === true))

const refuseFunctions = (_key: string, value: unknown) => {
  if (isFunction(value)) throw new Refused('failed', 'the expression returns a function, not a value')
  return value
}

const failure = (error: unknown, index: number): WorkerFailure => {
  if (error instanceof Refused) return { kind: error.kind, message: error.message, index }
  if (error instanceof RangeError)
    return { kind: 'failed', message: `${error.message} (data nested too deeply?)`, index }
  const e = error as { code?: unknown; message?: unknown; position?: unknown }
  const message = typeof e.message === 'string' ? e.message : String(error)
  const position = typeof e.position === 'number' ? e.position : undefined
  // D1012: JSONata's own timeout, checked between steps; D2014/D2015: its caps on a sequence's length.
  const kind = e.code === 'D1012' ? 'timeout' : e.code === 'D2014' || e.code === 'D2015' ? 'too_large' : 'failed'
  return { kind, message, index, ...(position === undefined ? {} : { position }) }
}

/**
 * An evaluator of request batches: compiled expressions cached (least recently used out), JSONata's own guards on,
 * `$eval` refused, results returned as JSON text (null for `undefined`) within a budget of `maxBytes` for the batch.
 * `onStep(i)` is told when expression i of a batch is done (the pool restarts its deadline for the next).
 */
export const createEvaluator = (options: WorkerOptions) => {
  const cache = new Map<string, jsonata.Expression>()
  const tooLarge = () => new Refused('too_large', `the result is over ${options.maxBytes} characters of JSON`)

  const compile = (source: string): jsonata.Expression => {
    const hit = cache.get(source)
    if (hit) {
      cache.delete(source)
      cache.set(source, hit)
      return hit
    }
    const expression = jsonata(source, { timeout: options.jsonataTimeoutMs, stack: 200, sequence: 100_000 })
    // $eval parses and runs a string at run time: an expression like `$eval($trigger.body.x)` would run code taken
    // from a webhook payload, and nothing validated it when the flow was saved.
    expression.registerFunction('eval', () => {
      throw new Refused('failed', '$eval is not available in flow expressions')
    })
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    cache.set(source, expression)
    return expression
  }

  /** JSON text of a result, or null for `undefined` (no match), so the caller can tell the two apart. */
  const serialise = (value: unknown, budget: number): string | null => {
    if (typeof value === 'string' && value.length > budget) throw tooLarge()
    const text = JSON.stringify(value, refuseFunctions) as string | undefined
    if (text === undefined) return null
    if (text.length > budget) throw tooLarge()
    return text
  }

  const run = async (request: Request, onStep?: (index: number) => void): Promise<Result> => {
    try {
      const input: unknown = request.input === null ? undefined : JSON.parse(request.input)
      const bindings = JSON.parse(request.bindings) as Record<string, unknown>
      const results: (string | null)[] = []
      let budget = options.maxBytes
      for (const [index, source] of request.sources.entries()) {
        try {
          const text = serialise(await compile(source).evaluate(input, bindings), budget)
          budget -= text?.length ?? 0
          results.push(text)
        } catch (error) {
          return { id: request.id, ok: false, error: failure(error, index) }
        }
        if (index < request.sources.length - 1) onStep?.(index)
      }
      return { id: request.id, ok: true, results }
    } catch (error) {
      return { id: request.id, ok: false, error: failure(error, 0) }
    }
  }

  return { run }
}

const SIMPLE_BINARY = new Set(['+', '-', '*', '/', '%', '=', '!=', '<', '<=', '>', '>=', '&', 'and', 'or'])
/** The keys each simple node may carry: any other (a filter's `stages`, a `group`, a `focus`…) makes it not simple. */
const SIMPLE_KEYS: Record<string, Set<string>> = {
  path: new Set(['type', 'steps', 'position']),
  name: new Set(['type', 'value', 'position']),
  variable: new Set(['type', 'value', 'position']),
  number: new Set(['type', 'value', 'position']),
  string: new Set(['type', 'value', 'position']),
  value: new Set(['type', 'value', 'position']),
  binary: new Set(['type', 'value', 'position', 'lhs', 'rhs']),
  unary: new Set(['type', 'value', 'position', 'expression']),
  condition: new Set(['type', 'position', 'condition', 'then', 'else']),
  block: new Set(['type', 'position', 'expressions']),
}
/** At most this many nodes: together with a small input, a bound on the work of one evaluation. */
export const SIMPLE_MAX_NODES = 64

type Node = { type: string; value?: unknown; [key: string]: unknown }

/**
 * True for an expression built only of paths of plain names and variables, literals, arithmetic, comparisons,
 * `and`/`or`, `&`, negation, `? :` and parentheses, in at most SIMPLE_MAX_NODES nodes: no function, lambda, regex,
 * range, filter, wildcard or constructor. Its evaluation takes time linear in its size times its input's, so on a
 * small input it cannot stall the thread that runs it. False for anything else, including what does not parse.
 */
export const isSimple = (source: string): boolean => {
  let ast: Node
  try {
    ast = jsonata(source).ast() as Node
  } catch {
    return false
  }
  let nodes = 0
  const simple = (node: Node): boolean => {
    if (++nodes > SIMPLE_MAX_NODES) return false
    const keys = SIMPLE_KEYS[node.type]
    if (!keys || Object.keys(node).some((k) => !keys.has(k))) return false
    switch (node.type) {
      case 'path':
        return (node.steps as Node[]).every(
          (step) => (step.type === 'name' || step.type === 'variable') && simple(step),
        )
      case 'binary':
        return SIMPLE_BINARY.has(node.value as string) && simple(node.lhs as Node) && simple(node.rhs as Node)
      case 'unary':
        return node.value === '-' && simple(node.expression as Node)
      case 'condition':
        return simple(node.condition as Node) && simple(node.then as Node) && (!node.else || simple(node.else as Node))
      case 'block':
        return (node.expressions as Node[]).every(simple)
      default:
        return true
    }
  }
  return simple(ast)
}
