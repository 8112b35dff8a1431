// The child process of the expression pool (pool.ts). It runs under Node's type stripping, so it stays plain: no
// project imports, only jsonata. The parent owns every hard bound (deadline, heap size, sizes in); this side applies
// JSONata's own guards, refuses function results and measures what it sends back.
import jsonata from 'jsonata'
import type { Request, Response, WorkerFailure, WorkerOptions } from './protocol.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions
const send = (response: Response) => process.send!(response)
const CACHE_LIMIT = 500
const cache = new Map<string, jsonata.Expression>()

class Refused extends Error {
  readonly kind: WorkerFailure['kind']
  constructor(kind: WorkerFailure['kind'], message: string) {
    super(message)
    this.kind = kind
  }
}

const compile = (source: string): jsonata.Expression => {
  const hit = cache.get(source)
  if (hit) {
    cache.delete(source)
    cache.set(source, hit)
    return hit
  }
  const expression = jsonata(source, { timeout: options.jsonataTimeoutMs, stack: 200, sequence: 100_000 })
  // $eval parses and runs a string at run time: an expression like `$eval($trigger.body.x)` would run code taken from
  // a webhook payload, and nothing validated it when the flow was saved.
  expression.registerFunction('eval', () => {
    throw new Refused('failed', '$eval is not available in flow expressions')
  })
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
  cache.set(source, expression)
  return expression
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

/** JSON text of a result, or null for `undefined` (no match), so the main thread can tell the two apart. */
const serialise = (value: unknown, budget: number): string | null => {
  if (typeof value === 'string' && value.length > budget) throw tooLarge()
  const text = JSON.stringify(value, refuseFunctions) as string | undefined
  if (text === undefined) return null
  if (text.length > budget) throw tooLarge()
  return text
}

const tooLarge = () => new Refused('too_large', `the result is over ${options.maxBytes} characters of JSON`)

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

const run = async (request: Request): Promise<Response> => {
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
    if (index < request.sources.length - 1) send({ id: request.id, step: index })
  }
  return { id: request.id, ok: true, results }
}

process.on('message', (request: Request) => {
  run(request).then(send, (error: unknown) => send({ id: request.id, ok: false, error: failure(error, 0) }))
})
// The parent went away (it exited or crashed): nothing is left to answer.
process.on('disconnect', () => process.exit(0))
send({ ready: true })
