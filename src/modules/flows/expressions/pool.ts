import jsonata from 'jsonata'
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { AppError } from '../../../platform/http/errors.ts'
import { flowsErrors } from '../flows.errors.ts'
import { createEvaluator, isSimple } from './evaluate.ts'
import type { Request, Response, Result, WorkerFailure, WorkerOptions } from './protocol.ts'

export type ExpressionPool = {
  /** Parses without evaluating (main thread is fine: cap the source at 10_000 chars); null when valid, else the error message with position. */
  check(source: string): string | null
  /** Evaluates several expressions against one input and one set of bindings in ONE worker round trip; results in order. */
  evaluateMany(sources: string[], input: unknown, bindings: Record<string, unknown>): Promise<unknown[]>
  evaluate(source: string, input: unknown, bindings: Record<string, unknown>): Promise<unknown>
  close(): Promise<void>
}

export const MAX_SOURCE_CHARS = 10_000
const MEMORY_MB = 64
/** JSONata's own timeout, checked between evaluation steps; the hard deadline catches what it cannot (a regex). */
const JSONATA_TIMEOUT_MS = 500
const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url))
/** Simple expressions (`isSimple`) on input and bindings up to this many characters of JSON run on the main thread. */
export const IN_PROCESS_MAX_BYTES = 16 * 1024

type Job = {
  id: number
  request: Request
  resolve: (results: unknown[]) => void
  reject: (error: AppError) => void
}

type Slot = {
  child: ChildProcess
  ready: boolean
  job: Job | null
  timer: NodeJS.Timeout | undefined
  /** The end of its stderr: V8 writes "heap out of memory" there before it aborts. */
  stderr: string
  closed: Promise<void>
}

/**
 * JSONata in a bounded pool of child processes (ADR 0004 §5). JSONata's own guards run between evaluation steps only,
 * so a catastrophic regex or a huge allocation is stopped from here: a hard deadline per expression after which the
 * process is killed and replaced, a heap limit per process, and a cap on the JSON going in and out.
 *
 * Processes, not worker threads: a worker's `resourceLimits` does not contain a large native allocation, V8 aborts the
 * whole process instead (nodejs/node#47224; `$base64encode($pad("x", 90000000))` did it here on Node 24). A child that
 * runs out of heap dies alone. It gets an empty environment: no secret of the server is in reach of an expression.
 */
export const createExpressionPool = (
  opts: { size?: number; hardTimeoutMs?: number; maxBytes?: number; inProcessMaxBytes?: number } = {},
): ExpressionPool => {
  const inProcessMaxBytes = opts.inProcessMaxBytes ?? IN_PROCESS_MAX_BYTES
  const size = Math.max(1, opts.size ?? Math.min(2, availableParallelism()))
  const hardTimeoutMs = opts.hardTimeoutMs ?? 1000
  const maxBytes = opts.maxBytes ?? 1_000_000
  const workerOptions: WorkerOptions = { jsonataTimeoutMs: Math.min(JSONATA_TIMEOUT_MS, hardTimeoutMs), maxBytes }
  const slots: Slot[] = []
  const queue: Job[] = []
  const inProcess = createEvaluator(workerOptions)
  /** Whether each source seen is simple (least recently used out). */
  const simple = new Map<string, boolean>()
  const isSimpleSource = (source: string) => {
    let hit = simple.get(source)
    if (hit === undefined) {
      hit = isSimple(source)
      if (simple.size >= 1000) simple.delete(simple.keys().next().value as string)
    } else simple.delete(source)
    simple.set(source, hit)
    return hit
  }
  let nextId = 1
  let closed = false

  const spawn = () => {
    const child = fork(WORKER_PATH, [JSON.stringify(workerOptions)], {
      execArgv: [`--max-old-space-size=${MEMORY_MB}`, '--max-semi-space-size=8'],
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    let closed = () => {}
    const slot: Slot = {
      child,
      ready: false,
      job: null,
      timer: undefined,
      stderr: '',
      closed: new Promise((resolve) => (closed = resolve)),
    }
    slots.push(slot)
    const stderr = child.stderr as Socket | null // a pipe to a child is a net.Socket
    stderr?.on('data', (chunk: Buffer) => (slot.stderr = (slot.stderr + chunk.toString()).slice(-2000)))
    stderr?.unref()
    child.on('message', (message: Response) => onMessage(slot, message))
    child.on('error', () => {}) // a failed send or kill: the 'close' that follows settles the job
    child.on('close', (_code, signal) => {
      onExit(slot, signal)
      closed()
    })
  }

  const hold = (slot: Slot, busy: boolean) => {
    if (busy) {
      slot.child.ref()
      slot.child.channel?.ref()
    } else {
      slot.child.unref()
      slot.child.channel?.unref()
    }
  }

  const remove = (slot: Slot) => {
    const at = slots.indexOf(slot)
    if (at >= 0) slots.splice(at, 1)
  }

  const settle = (slot: Slot) => {
    const job = slot.job
    clearTimeout(slot.timer)
    slot.job = null
    slot.timer = undefined
    return job
  }

  const arm = (slot: Slot, index: number) => {
    clearTimeout(slot.timer)
    slot.timer = setTimeout(() => {
      const job = settle(slot)
      remove(slot)
      slot.child.kill('SIGKILL')
      job?.reject(flowsErrors.expression_timeout({ ms: hardTimeoutMs, index }))
      replace()
    }, hardTimeoutMs)
  }

  const onMessage = (slot: Slot, message: Response) => {
    if ('ready' in message) {
      slot.ready = true
      return pump()
    }
    if (slot.job?.id !== message.id) return
    if ('step' in message) return arm(slot, message.step + 1)
    const job = settle(slot)!
    settleJob(job, message)
    pump()
  }

  const settleJob = (job: Pick<Job, 'resolve' | 'reject'>, message: Result) => {
    if (message.ok) job.resolve(message.results.map((text) => (text === null ? undefined : JSON.parse(text))))
    else job.reject(fromWorker(message.error))
  }

  const onExit = (slot: Slot, signal: NodeJS.Signals | null) => {
    remove(slot)
    const death =
      signal === 'SIGABRT' || slot.stderr.includes('heap out of memory')
        ? flowsErrors.expression_too_large({ message: `it ran out of its ${MEMORY_MB} MB of memory` })
        : flowsErrors.expression_failed({
            message: `the expression process stopped${slot.ready ? '' : ` before it started (${slot.stderr.trim().slice(-300)})`}`,
          })
    const job = settle(slot)
    if (job) job.reject(death)
    // A process that cannot even start fails the call waiting for it, rather than being respawned in a loop.
    else if (!slot.ready && !closed) queue.shift()?.reject(death)
    if (slot.ready) replace()
    else pump()
  }

  /** A killed process is replaced at once: starting one takes a few hundred ms, the next call should not wait. */
  const replace = () => {
    if (!closed && slots.length < size) spawn()
    pump()
  }

  const fromWorker = (failure: WorkerFailure) => {
    const { index } = failure
    if (failure.kind === 'timeout') return flowsErrors.expression_timeout({ ms: workerOptions.jsonataTimeoutMs, index })
    if (failure.kind === 'too_large') return flowsErrors.expression_too_large({ message: failure.message, index })
    return flowsErrors.expression_failed({ message: failure.message, index, position: failure.position })
  }

  const pump = () => {
    while (!closed && queue.length > 0) {
      const idle = slots.find((s) => s.ready && !s.job)
      if (idle) {
        const job = queue.shift()!
        idle.job = job
        hold(idle, true)
        arm(idle, 0)
        idle.child.send(job.request, () => {}) // if the channel is gone, 'close' settles the job
        continue
      }
      const booting = slots.filter((s) => !s.ready).length
      if (slots.length >= size || booting >= queue.length) break
      spawn()
    }
    // An idle process does not keep this one alive.
    for (const slot of slots) if (slot.ready && !slot.job) hold(slot, false)
  }

  const toJson = (value: unknown, what: string): string | null => {
    try {
      return (JSON.stringify(value) as string | undefined) ?? null
    } catch (error) {
      if (error instanceof RangeError)
        throw flowsErrors.expression_too_large({ message: `the ${what} is nested too deeply` })
      throw flowsErrors.expression_failed({ message: `the ${what} is not JSON (${(error as Error).message})` })
    }
  }

  const evaluateMany = async (sources: string[], input: unknown, bindings: Record<string, unknown>) => {
    if (closed) throw flowsErrors.expression_failed({ message: 'the expression pool is closed' })
    for (const [index, source] of sources.entries())
      if (source.length > MAX_SOURCE_CHARS)
        throw flowsErrors.expression_too_large({ message: `it is over ${MAX_SOURCE_CHARS} characters`, index })
    if (sources.length === 0) return []
    const inputJson = toJson(input, 'input')
    const bindingsJson = toJson(bindings, 'bindings') ?? '{}'
    const bytes = (inputJson?.length ?? 0) + bindingsJson.length
    if (bytes > maxBytes)
      throw flowsErrors.expression_too_large({
        message: `its input and bindings are over ${maxBytes} characters of JSON`,
      })
    const id = nextId++
    const request = { id, sources, input: inputJson, bindings: bindingsJson }
    // Simple expressions on small data cannot stall this thread (evaluate.ts): the same evaluation, same JSON in and
    // out, without the round trip to a child process.
    if (bytes <= inProcessMaxBytes && sources.every(isSimpleSource)) {
      const result = await inProcess.run(request)
      return new Promise<unknown[]>((resolve, reject) => settleJob({ resolve, reject }, result))
    }
    return new Promise<unknown[]>((resolve, reject) => {
      queue.push({ id, request, resolve, reject })
      pump()
    })
  }

  return {
    check(source) {
      if (source.length > MAX_SOURCE_CHARS) return `The expression is over ${MAX_SOURCE_CHARS} characters.`
      try {
        jsonata(source)
        return null
      } catch (error) {
        const e = error as { message?: unknown; position?: unknown }
        const message = typeof e.message === 'string' ? e.message : String(error)
        return typeof e.position === 'number' ? `${message} (at position ${e.position})` : message
      }
    },
    evaluateMany,
    evaluate: async (source, input, bindings) => (await evaluateMany([source], input, bindings))[0],
    async close() {
      closed = true
      const stopped = flowsErrors.expression_failed({ message: 'the expression pool is closed' })
      for (const job of queue.splice(0)) job.reject(stopped)
      await Promise.all(
        slots.splice(0).map((slot) => {
          settle(slot)?.reject(stopped)
          hold(slot, true) // until it is gone
          slot.child.kill('SIGKILL')
          return slot.closed
        }),
      )
    },
  }
}
