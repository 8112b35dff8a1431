// Messages between pool.ts (main thread) and worker.ts. Types only: the worker runs under Node's type stripping.

export type WorkerOptions = { jsonataTimeoutMs: number; maxBytes: number }

/** Input and bindings travel as JSON text: the main thread has already serialised them to measure them. */
export type Request = { id: number; sources: string[]; input: string | null; bindings: string }

export type WorkerFailure = {
  kind: 'failed' | 'timeout' | 'too_large'
  message: string
  /** Which expression of the batch failed. */
  index: number
  position?: number
}

/** How a batch ended: every result as JSON text (null for `undefined`), or the first failure. */
export type Result =
  { id: number; ok: true; results: (string | null)[] } | { id: number; ok: false; error: WorkerFailure }

export type Response =
  | { ready: true }
  /** Expression `step` of a batch is done: the main thread restarts the deadline for the next one. */
  | { id: number; step: number }
  | Result
