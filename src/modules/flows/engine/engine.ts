import { createHash, randomBytes } from 'node:crypto'
import { sql, type Insertable, type Kysely } from 'kysely'
import { z } from 'zod'
import type { FlowGraph, RunStatus, RunTrigger, StepError } from '../../../../contracts/flows.ts'
import { own, type Handle } from '../../../platform/db/database.ts'
import { newId } from '../../../platform/db/ids.ts'
import { AppError } from '../../../platform/http/errors.ts'
import { defineJob, type Queue } from '../../../platform/queue/queue.ts'
import type { Bus } from '../../../platform/realtime/bus.ts'
import { TERMINAL_EVENT, type LoggedEvent } from '../../../platform/runs/run-log.ts'
import type { Run, Runs } from '../../../platform/runs/runs.ts'
import type { FlowRunRow, FlowStepRow, FlowStepsTable, FlowsTables } from '../flows.tables.ts'
import { creditsString } from '../compose.ts'
import { compileGraph, expressionsIn, type CompiledGraph, type CompiledNode } from '../graph.ts'
import { StepFailure, type NodeRegistry, type NodeResult, type RetryPolicy } from '../registry.ts'
import { traceStep } from './step-span.ts'

/**
 * The flow engine (ADR 0004 §2–3). A run is walked in slices by whichever process holds its lease: the walk goes
 * through the graph in topological order, reusing every completed step's checkpoint and executing the first step that
 * has none, so a run resumed after a crash (or a wait) repeats no completed step. Steps without a side effect are
 * checkpointed together with the next write; a step with an external effect is marked `started` before it is called
 * (with the same idempotency key on every attempt) and checkpointed as soon as it returns; a transactional effect
 * commits inside its checkpoint. Waits (delay, retry backoff) release the lease and leave a pg-boss job to continue.
 */

export type EngineConfig = {
  /** How long a slice holds a run without a checkpoint before another process may take it over. */
  leaseMs: number
  /** Runs of one workspace executing at once (across processes). */
  concurrencyPerWorkspace: number
  /** Slices this process executes at once; more are handed to the queue. */
  maxLocalSlices: number
  /** Default and longest run duration. */
  runTimeoutMs: number
  /** Steps one run may execute in all (loops included). */
  maxStepsPerRun: number
  /** How often a supervised process (`start()`) looks for runs to take over; the `flows.reap` cron is the backstop. */
  reapMs: number
}
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  leaseMs: 30_000,
  concurrencyPerWorkspace: 10,
  maxLocalSlices: 64,
  runTimeoutMs: 3_600_000,
  maxStepsPerRun: 10_000,
  reapMs: 10_000,
}

/** Evaluates expressions (the sandbox's `evaluateMany`). */
export type Evaluator = {
  evaluateMany(sources: string[], input: unknown, bindings: Record<string, unknown>): Promise<unknown[]>
}

/** Inline payloads up to this size (JSON bytes); larger ones are stored once in flow_payloads and referenced. */
export const INLINE_PAYLOAD_BYTES = 64 * 1024
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
const DEFAULT_STEP_TIMEOUT_MS = 30_000

export type StartInput = {
  workspaceId: string
  clientId: string
  flowId: string
  versionId: string
  trigger: RunTrigger
  triggerKey?: string | null
  actingUserId: string
  input: unknown
  parent?: { runId: string; stepKey: string }
  timeoutMs?: number
  /** A run id chosen by the caller (a sub-flow's, derived from its parent step); random otherwise. */
  id?: string
  /**
   * False: the run is stored queued and unclaimed, for a job or the reaper to take (a start inside another module's
   * transaction, which this process cannot kick after its commit). Default: claimed here when under the cap.
   */
  claim?: boolean
}

const CANCEL_CHANNEL = 'flows:cancel'
const stepKey = (nodeId: string, iteration: string) => `${nodeId}#${iteration}`
export const idempotencyKeyOf = (runId: string, nodeId: string, iteration: string) =>
  `flow:${runId}:${nodeId}:${iteration}`

type Outcome = { port: string | null; output: unknown }
/** How a slice ended in this process (undefined: it did not run, or lost its lease). */
export type SliceOutcome =
  | { status: 'completed'; output: unknown; error?: undefined }
  | { status: 'failed'; error: StepError; output?: undefined }
  | { status: 'waiting'; output?: undefined; error?: undefined }
type FrameResult = { kind: 'done'; last: unknown } | { kind: 'suspend' }
class Suspend extends Error {}
class LostLease extends Error {}
class RunFailed extends Error {
  readonly error: StepError
  constructor(error: StepError) {
    super(error.message)
    this.error = error
  }
}

type PendingStep = {
  nodeKey: string
  nodeId: string
  iteration: string
  status: FlowStepRow['status']
  attempts: number
  input: unknown
  output: unknown
  port: string | null
  error: StepError | null
  idempotencyKey: string
  startedAt: Date
  finishedAt: Date | null
  durationMs: number | null
  completed: boolean
}

type Slice = {
  run: FlowRunRow
  graph: CompiledGraph
  steps: Map<string, FlowStepRow>
  seq: number
  nextStepSeq: number
  pending: {
    steps: PendingStep[]
    events: LoggedEvent[]
    commits: ((trx: Handle) => Promise<unknown>)[]
    completed: number
    after: (() => void)[]
  }
  abort: AbortController
  now: Date
  executed: number
  trigger: unknown
  /** When a suspended run continues (a wait's end, a retry's backoff). */
  wakeAt?: Date
  /** A step with an external effect is running: the lease covers its whole timeout (no takeover mid-call). */
  holdMs?: number
  /** Started by `begin` and not stored yet: its first checkpoint inserts the run instead of updating it. */
  unborn?: boolean
}

const errorOf = (err: unknown): { error: StepError; retryAfterMs?: number } => {
  if (err instanceof StepFailure) return { error: err.error, retryAfterMs: err.retryAfterMs }
  if (err instanceof AppError)
    return { error: { code: err.code, message: err.message, retryable: err.status >= 500 && err.status !== 501 } }
  if (err instanceof Error && err.name === 'TimeoutError')
    return { error: { code: 'flows.step_timeout', message: 'The step took longer than its timeout.', retryable: true } }
  if (err instanceof TypeError && err.message === 'fetch failed')
    return { error: { code: 'flows.network', message: 'The request failed (network).', retryable: true } }
  return {
    error: { code: 'flows.step_failed', message: err instanceof Error ? err.message : String(err), retryable: false },
  }
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v))
const runStatusOf = (status: RunStatus) =>
  status === 'completed' ? 'completed' : status === 'cancelled' ? 'cancelled' : 'failed'
const sizeOf = (v: unknown) => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v)))

/** A flow whose latest this many ended runs all failed is failing (an alert to the workspace's admins). */
export const FAILING_STREAK = 3

export const createEngine = (deps: {
  db: Kysely<FlowsTables>
  runs: Runs
  bus: Bus
  queue: Queue
  registry: NodeRegistry
  expressions: Evaluator
  config?: Partial<EngineConfig>
  now?: () => Date
  log?: (message: string, err?: unknown) => void
  /** Told after a failed run committed when it is the `FAILING_STREAK`th (or later) failure in a row of its flow. */
  onFailing?: (d: { workspaceId: string; clientId: string; flowId: string; runId: string; failures: number }) => void
}) => {
  const { db, runs, bus, queue, registry, expressions } = deps
  const config = { ...DEFAULT_ENGINE_CONFIG, ...deps.config }
  const now = deps.now ?? (() => new Date())
  const report = deps.log ?? ((m: string, err?: unknown) => console.error(`[flows] ${m}`, err ?? ''))
  /** This process's identity as a lease holder. */
  const owner = `p_${randomBytes(6).toString('hex')}`
  const inflight = new Map<string, { abort: AbortController; done: Promise<SliceOutcome | undefined> }>()
  const deferred = new Set<string>()
  /** Deferred runs being looked up to start (a freed slot's `resumeDeferred`): `drain` waits for them too. */
  const resuming = new Set<Promise<void>>()
  const compiled = new Map<string, CompiledGraph>()
  /**
   * Runs this process opened already claimed (`startRun`), as inserted: their first slice here needs no claim
   * transaction (the lease is ours, there are no steps and no events yet). A cancel or takeover in between is caught,
   * as on every path, by the checkpoint's conditional update. Entries whose start never committed age out.
   */
  const opened = new Map<string, FlowRunRow>()
  /** Runs `begin` started, not stored until their first checkpoint (their row is in `opened`). */
  const unborn = new Set<string>()
  /** Slices of runs not stored yet: whether a caller wants them stored at the next step (`stored`), and who waits. */
  const storing = new Map<string, { wanted: boolean; waiters: ((stored: boolean) => void)[] }>()
  const settleStoring = (runId: string, stored: boolean) => {
    for (const ok of storing.get(runId)?.waiters ?? []) ok(stored)
    storing.delete(runId)
  }

  const advanceJob = defineJob({
    name: 'flows.advance',
    payload: z.object({ runId: z.string() }),
    retryLimit: 20,
    retryDelaySeconds: 5,
    handler: async ({ runId }) => {
      await slice(runId)
    },
  })
  const reapJob = defineJob({
    name: 'flows.reap',
    payload: z.object({}).passthrough(),
    cron: '* * * * *',
    handler: async () => {
      await reap()
    },
  })

  /** Graphs of versions are immutable: compiled once per process. */
  const graphOf = async (versionId: string) => {
    const hit = compiled.get(versionId)
    if (hit) return hit
    const row = await db
      .selectFrom('flowVersions')
      .select('graph')
      .where('id', '=', versionId)
      .executeTakeFirstOrThrow()
    const graph = compileGraph(registry, row.graph as FlowGraph)
    if (compiled.size > 500) compiled.delete(compiled.keys().next().value!)
    compiled.set(versionId, graph)
    return graph
  }

  /** Serialises the claims of one workspace's runs, so its concurrency cap holds across processes. */
  const lockWorkspace = (trx: Handle, workspaceId: string) =>
    sql`select pg_advisory_xact_lock(hashtext(${'flows:' + workspaceId}))`.execute(trx)
  const underCap = async (trx: Kysely<FlowsTables>, workspaceId: string, except?: string) => {
    let q = trx
      .selectFrom('flowRuns')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspaceId', '=', workspaceId)
      .where('status', '=', 'running')
      .where('leaseUntil', '>', now())
    if (except) q = q.where('id', '<>', except)
    return Number((await q.executeTakeFirstOrThrow()).n) < config.concurrencyPerWorkspace
  }

  /** What a new run is, whichever way it starts: its ids, what started it, its deadline. */
  const identityOf = (id: string, input: StartInput, at: Date) => ({
    id,
    workspaceId: input.workspaceId,
    clientId: input.clientId,
    flowId: input.flowId,
    versionId: input.versionId,
    trigger: input.trigger,
    triggerKey: input.triggerKey ?? null,
    actingUserId: input.actingUserId,
    parentRunId: input.parent?.runId ?? null,
    parentStepKey: input.parent?.stepKey ?? null,
    deadlineAt: new Date(at.getTime() + Math.min(input.timeoutMs ?? config.runTimeoutMs, 30 * 86_400_000)),
    createdAt: at,
  })

  /**
   * Opens a run in the caller's transaction (run layer row + flow run), claimed for this process when the workspace is
   * under its cap. After the commit, call `kick(runId)`. A trigger key already used by the flow answers that run.
   */
  const startRun = async (h: Handle, input: StartInput): Promise<{ runId: string; existing: boolean }> => {
    const trx = own<FlowsTables>(h)
    if (input.triggerKey) {
      const existing = await trx
        .selectFrom('flowRuns')
        .select('id')
        .where('flowId', '=', input.flowId)
        .where('triggerKey', '=', input.triggerKey)
        .executeTakeFirst()
      if (existing) return { runId: existing.id, existing: true }
    }
    const runId = input.id ?? newId('run')
    let claim = false
    if (input.claim !== false) {
      await lockWorkspace(h, input.workspaceId)
      claim = await underCap(trx, input.workspaceId)
    }
    const at = now()
    await runs.insert(h, { id: runId, kind: 'flow', workspaceId: input.workspaceId, subjectId: runId })
    const row = await trx
      .insertInto('flowRuns')
      .values({
        ...identityOf(runId, input, at),
        status: claim ? 'running' : 'queued',
        input: json(input.input),
        leaseOwner: claim ? owner : null,
        leaseUntil: claim ? new Date(at.getTime() + config.leaseMs) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    if (!claim) {
      if (input.claim !== false) deferred.add(input.workspaceId)
    } else {
      if (opened.size >= 1000) opened.delete(opened.keys().next().value!)
      opened.set(runId, row)
    }
    return { runId, existing: false }
  }

  /**
   * Opens a run in a transaction of its own. Two starts with one trigger key at once (a webhook delivered twice in
   * parallel): the second meets the unique index, and its retry finds the first's run.
   */
  const open = async (input: StartInput): Promise<{ runId: string; existing: boolean }> => {
    try {
      return await db.transaction().execute((trx) => startRun(trx, input))
    } catch (err) {
      if (!input.triggerKey || (err as { code?: string }).code !== '23505') throw err
      return db.transaction().execute((trx) => startRun(trx, input))
    }
  }

  /**
   * Starts a run whose caller waits for its end here (a webhook that answers when the run completes), without storing
   * it first: the run is stored at its first checkpoint — before its first step with a side effect, at a wait, or at
   * its end, so a run of steps without side effects is stored once, complete, in one transaction. A crash before that
   * checkpoint leaves nothing behind and has done nothing: its caller has had no answer and sends again. Undefined when
   * the run must be opened the usual way (a trigger key to honour, a parent, no room in this process).
   */
  const begin = (input: StartInput): { runId: string; done: Promise<SliceOutcome | undefined> } | undefined => {
    if (input.triggerKey || input.parent || inflight.size >= config.maxLocalSlices) return undefined
    const runId = input.id ?? newId('run')
    const at = now()
    opened.set(runId, {
      ...identityOf(runId, input, at),
      status: 'running',
      input: input.input,
      output: null,
      error: null,
      leaseOwner: owner,
      leaseUntil: new Date(at.getTime() + config.leaseMs),
      wakeAt: null,
      credits: '0',
      steps: 0,
      finishedAt: null,
    })
    unborn.add(runId)
    return { runId, done: slice(runId) }
  }

  /**
   * Resolves once a run `begin` started is stored (asking its slice to store it before its next step), true; false
   * when its slice ended without storing it. True at once for a run not waiting to be stored here.
   */
  const stored = async (runId: string) => {
    const entry = storing.get(runId)
    if (!entry) return true
    entry.wanted = true
    return new Promise<boolean>((ok) => entry.waiters.push(ok))
  }

  /**
   * Continues a run here when this process has room (answering how the slice ended), else through the queue.
   * Never rejects.
   */
  const kick = (runId: string): Promise<SliceOutcome | undefined> | undefined => {
    const running = inflight.get(runId)
    if (running) return running.done
    if (inflight.size >= config.maxLocalSlices) {
      opened.delete(runId)
      void queue.enqueue(db, advanceJob, { runId }).catch((err: unknown) => report(`enqueue ${runId}`, err))
      return undefined
    }
    return slice(runId)
  }

  /**
   * Takes the run's lease (or finds it held, finished, waiting or over its workspace's cap: then does nothing). A run
   * over the cap leaves its workspace deferred, then looks once more: a slot freed by a run that ended while the cap
   * was counted (its end saw no deferred workspace yet) starts the deferred runs now, not at the next reap.
   */
  const claim = async (runId: string) => {
    let full: string | undefined
    const claimed = await claimTx(runId, (workspaceId) => (full = workspaceId))
    if (full) {
      deferred.add(full)
      const free = await underCap(db, full).catch(() => false)
      if (free) resumeTracked()
    }
    return claimed
  }
  const claimTx = async (runId: string, overCap: (workspaceId: string) => void) =>
    db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('flowRuns').selectAll().where('id', '=', runId).executeTakeFirst()
      if (!row || !['queued', 'running', 'waiting'].includes(row.status)) return null
      const at = now()
      const mine = row.leaseOwner === owner && row.leaseUntil && row.leaseUntil > at
      if (!mine) {
        if (row.leaseUntil && row.leaseUntil > at) return null
        if (row.status === 'waiting' && row.wakeAt && row.wakeAt > at) return null
        await lockWorkspace(trx, row.workspaceId)
        if (!(await underCap(trx, row.workspaceId, row.id))) {
          overCap(row.workspaceId)
          return null
        }
      }
      const claimed = await trx
        .updateTable('flowRuns')
        .set({
          status: 'running',
          leaseOwner: owner,
          leaseUntil: new Date(at.getTime() + config.leaseMs),
          wakeAt: null,
        })
        .where('id', '=', runId)
        .where('status', 'in', ['queued', 'running', 'waiting'])
        .returningAll()
        .executeTakeFirst()
      if (!claimed) return null
      const steps = await trx.selectFrom('flowSteps').selectAll().where('runId', '=', runId).execute()
      const refs = steps.flatMap((s) => [s.inputRef, s.outputRef]).filter((r): r is string => Boolean(r))
      const payloads = new Map(
        refs.length
          ? (
              await trx
                .selectFrom('flowPayloads')
                .select(['id', 'data'])
                .where('workspaceId', '=', row.workspaceId)
                .where('id', 'in', refs)
                .execute()
            ).map((p) => [p.id, p.data])
          : [],
      )
      for (const s of steps) {
        if (s.inputRef) s.input = payloads.get(s.inputRef) ?? null
        if (s.outputRef) s.output = payloads.get(s.outputRef) ?? null
      }
      return {
        run: claimed,
        steps,
        seq: await runs.lastSeq(trx, runId),
        first: row.status === 'queued' || !steps.length,
      }
    })

  /** A step's order in its run: kept from its first row (a retried or resumed step keeps its place). */
  const seqOf = (s: Slice, key: string) => {
    const row = s.steps.get(key)
    if (row && row.seq > 0) return row.seq
    const seq = s.nextStepSeq++
    if (row) row.seq = seq
    return seq
  }
  const event = (s: Slice, type: string, data: Record<string, unknown>) =>
    s.pending.events.push({ seq: ++s.seq, type, data })

  /** Stores a payload over the inline cap once (content-addressed) and answers its reference. */
  const storePayload = async (trx: Kysely<FlowsTables>, workspaceId: string, value: unknown) => {
    const text = JSON.stringify(value)
    const bytes = Buffer.byteLength(text)
    if (bytes > MAX_PAYLOAD_BYTES)
      throw new RunFailed({
        code: 'flows.payload_too_large',
        message: `A step produced ${bytes} bytes; a step's data is limited to ${MAX_PAYLOAD_BYTES} bytes.`,
      })
    const id = createHash('sha256').update(text).digest('hex')
    await trx
      .insertInto('flowPayloads')
      .values({ id, workspaceId, bytes, data: text })
      .onConflict((oc) => oc.columns(['workspaceId', 'id']).doNothing())
      .execute()
    return id
  }

  /**
   * The first checkpoint of a run `begin` started: stores the run (the run layer's row and the flow run) as it stands
   * at this checkpoint. A run that ends here never held a slot; one that goes on running takes one under the
   * workspace's cap, and when the cap is full it is stored queued instead (null: the caller writes nothing else).
   */
  const birth = async (
    trx: Kysely<FlowsTables>,
    s: Slice,
    completed: number,
    at: Date,
    end?: { status: RunStatus; output?: unknown; error?: StepError | null; wakeAt?: Date },
  ) => {
    const terminal = end && end.status !== 'waiting'
    const { id, workspaceId } = s.run
    let queued = false
    if (!end) {
      await lockWorkspace(trx, workspaceId)
      queued = !(await underCap(trx, workspaceId))
    }
    await runs.insert(trx, {
      id,
      kind: 'flow',
      workspaceId,
      subjectId: id,
      ...(terminal ? { end: { status: runStatusOf(end.status), error: end.error } } : {}),
    })
    const row = await trx
      .insertInto('flowRuns')
      .values({
        ...s.run,
        input: json(s.run.input),
        status: queued ? 'queued' : (end?.status ?? 'running'),
        steps: queued ? 0 : completed,
        leaseOwner: end || queued ? null : owner,
        leaseUntil: end || queued ? null : new Date(at.getTime() + config.leaseMs + (s.holdMs ?? 0)),
        wakeAt: end?.wakeAt ?? null,
        finishedAt: terminal ? at : null,
        output: terminal ? json(end.output) : null,
        error: terminal ? json(end.error ?? null) : null,
      })
      .returning(['id', 'steps', 'credits'])
      .executeTakeFirstOrThrow()
    return queued ? null : row
  }

  /**
   * A batch's steps, one per key: a step recorded twice in it (a loop's `started`, then its `completed`) is written once
   * with its latest state and its first key and start, as successive upserts would have left it.
   */
  const latestSteps = (s: Slice, steps: PendingStep[]) => {
    const merged = new Map<string, PendingStep & { seq: number }>()
    for (const p of steps) {
      const first = merged.get(p.nodeKey)
      merged.set(p.nodeKey, {
        ...p,
        seq: seqOf(s, p.nodeKey),
        idempotencyKey: first?.idempotencyKey ?? p.idempotencyKey,
        startedAt: first?.startedAt ?? p.startedAt,
      })
    }
    return [...merged.values()]
  }

  /**
   * A run `begin` started that ended before anything was stored (steps without side effects only): the run layer's row
   * and log, the flow run and every step in ONE statement, its own transaction. The `done` event is the log's last.
   */
  const storeEnded = async (
    s: Slice,
    end: { status: RunStatus; output?: unknown; error?: StepError | null },
    latest: (PendingStep & { seq: number })[],
    events: LoggedEvent[],
    completed: number,
    at: Date,
  ) => {
    const r = s.run
    const error = end.error ?? null
    events.push({
      seq: ++s.seq,
      type: TERMINAL_EVENT,
      data: { status: end.status, steps: completed, credits: creditsString(0n), error },
    })
    const steps = latest.map((p) => ({
      node_key: p.nodeKey,
      node_id: p.nodeId,
      iteration: p.iteration,
      seq: p.seq,
      status: p.status,
      attempts: p.attempts,
      input: p.input ?? null,
      output: p.output ?? null,
      port: p.port,
      error: p.error,
      idempotency_key: p.idempotencyKey,
      started_at: p.startedAt,
      finished_at: p.finishedAt,
      duration_ms: p.durationMs,
    }))
    const run = runs.endedCtes(
      {
        id: r.id,
        kind: 'flow',
        workspaceId: r.workspaceId,
        subjectId: r.id,
        end: { status: runStatusOf(end.status), error },
      },
      events,
    )
    await sql`with ${run},
      flow_run as (
        insert into flow_runs (id, workspace_id, client_id, flow_id, version_id, trigger, trigger_key, acting_user_id,
          status, input, output, error, deadline_at, steps, created_at, finished_at)
        values (${r.id}, ${r.workspaceId}, ${r.clientId}, ${r.flowId}, ${r.versionId}, ${r.trigger}, ${r.triggerKey},
          ${r.actingUserId}, ${end.status}, ${json(r.input)}::jsonb, ${json(end.output)}::jsonb,
          ${json(error)}::jsonb, ${r.deadlineAt}, ${completed}, ${r.createdAt}, ${at})
      ),
      flow_step as (
        insert into flow_steps (run_id, node_key, node_id, iteration, seq, status, attempts, input, output, port, error,
          idempotency_key, started_at, finished_at, duration_ms)
        select ${r.id}, s.node_key, s.node_id, s.iteration, s.seq, s.status, s.attempts, s.input, s.output, s.port,
          s.error, s.idempotency_key, s.started_at, s.finished_at, s.duration_ms
        from jsonb_to_recordset(${JSON.stringify(steps)}::jsonb) as s(node_key text, node_id text, iteration text,
          seq integer, status text, attempts integer, input jsonb, output jsonb, port text, error jsonb,
          idempotency_key text, started_at timestamptz, finished_at timestamptz, duration_ms integer)
      )
      select 1`.execute(db)
  }

  /**
   * After a failed run: how many of its flow's latest ended runs failed in a row (read only then, from the flow's
   * newest-first index, at most FAILING_STREAK rows); the hook hears of a streak.
   */
  const failed = async (run: FlowRunRow) => {
    const hook = deps.onFailing
    if (!hook) return
    await db
      .selectFrom('flowRuns')
      .select('status')
      .where('flowId', '=', run.flowId)
      .where('status', 'in', ['completed', 'failed', 'cancelled'])
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(FAILING_STREAK)
      .execute()
      .then((rows) => {
        const failures = rows.findIndex((r) => r.status !== 'failed')
        const streak = failures < 0 ? rows.length : failures
        if (streak >= FAILING_STREAK)
          hook({
            workspaceId: run.workspaceId,
            clientId: run.clientId,
            flowId: run.flowId,
            runId: run.id,
            failures: streak,
          })
      })
      .catch((err: unknown) => report('failing streak', err))
  }

  /**
   * The checkpoint: every pending step row, the run's counters and lease, the events and any transactional effect, in
   * one transaction that holds only while this process still owns the run (a cancel or a takeover stops it here).
   */
  const flush = async (
    s: Slice,
    end?: { status: RunStatus; output?: unknown; error?: StepError | null; wakeAt?: Date },
  ) => {
    const { steps, events, commits, completed, after } = s.pending
    if (!steps.length && !events.length && !commits.length && !end) return
    s.pending = { steps: [], events: [], commits: [], completed: 0, after: [] }
    const at = now()
    const terminal = end && end.status !== 'waiting'
    const latest = latestSteps(s, steps)
    if (
      s.unborn &&
      terminal &&
      !commits.length &&
      latest.every((p) => sizeOf(p.input) <= INLINE_PAYLOAD_BYTES && sizeOf(p.output) <= INLINE_PAYLOAD_BYTES)
    ) {
      await storeEnded(s, end, latest, events, completed, at)
      s.unborn = false
      settleStoring(s.run.id, true)
      for (const fn of after) fn()
      if (end.status === 'failed') await failed(s.run)
      return
    }
    let requeued = false
    const published = await db.transaction().execute(async (trx) => {
      const updated = s.unborn
        ? await birth(trx, s, completed, at, end)
        : await trx
            .updateTable('flowRuns')
            .set((eb) => ({
              steps: eb('steps', '+', completed),
              leaseUntil: end ? null : new Date(at.getTime() + config.leaseMs + (s.holdMs ?? 0)),
              ...(end
                ? {
                    status: end.status,
                    leaseOwner: null,
                    wakeAt: end.wakeAt ?? null,
                    ...(terminal ? { finishedAt: at, output: json(end.output), error: json(end.error ?? null) } : {}),
                  }
                : {}),
            }))
            .where('id', '=', s.run.id)
            .where('status', '=', 'running')
            .where('leaseOwner', '=', owner)
            .returning(['id', 'steps', 'credits'])
            .executeTakeFirst()
      if (updated === null) {
        requeued = true
        return undefined
      }
      if (!updated) throw new LostLease()
      // Every pending step row in one statement.
      const values: Insertable<FlowStepsTable>[] = []
      for (const p of latest) {
        const input =
          sizeOf(p.input) > INLINE_PAYLOAD_BYTES ? await storePayload(trx, s.run.workspaceId, p.input) : null
        const output =
          sizeOf(p.output) > INLINE_PAYLOAD_BYTES ? await storePayload(trx, s.run.workspaceId, p.output) : null
        values.push({
          runId: s.run.id,
          nodeKey: p.nodeKey,
          nodeId: p.nodeId,
          iteration: p.iteration,
          seq: p.seq,
          idempotencyKey: p.idempotencyKey,
          startedAt: p.startedAt,
          status: p.status,
          attempts: p.attempts,
          input: input ? null : json(p.input),
          output: output ? null : json(p.output),
          inputRef: input,
          outputRef: output,
          port: p.port,
          error: json(p.error),
          finishedAt: p.finishedAt,
          durationMs: p.durationMs,
        })
      }
      if (values.length)
        await trx
          .insertInto('flowSteps')
          .values(values)
          .onConflict((oc) =>
            oc.columns(['runId', 'nodeKey']).doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              attempts: eb.ref('excluded.attempts'),
              input: eb.ref('excluded.input'),
              output: eb.ref('excluded.output'),
              inputRef: eb.ref('excluded.inputRef'),
              outputRef: eb.ref('excluded.outputRef'),
              port: eb.ref('excluded.port'),
              error: eb.ref('excluded.error'),
              finishedAt: eb.ref('excluded.finishedAt'),
              durationMs: eb.ref('excluded.durationMs'),
            })),
          )
          .execute()
      for (const commit of commits) await commit(trx)
      if (end?.status === 'waiting' && end.wakeAt)
        await queue.enqueue(trx, advanceJob, { runId: s.run.id }, { startAfter: end.wakeAt })
      if (terminal) {
        // Nobody else writes the log while this process holds the run (a cancel or a takeover fails the update
        // above): its `done` is numbered here, after the batch, and stored with it.
        if (!s.unborn) await runs.finish(trx, s.run.workspaceId, s.run.id, runStatusOf(end.status), end.error)
        events.push({
          seq: ++s.seq,
          type: TERMINAL_EVENT,
          data: {
            status: end.status,
            steps: updated.steps,
            credits: creditsString(BigInt(updated.credits)),
            error: end.error ?? null,
          },
        })
        if (s.run.parentRunId) await queue.enqueue(trx, advanceJob, { runId: s.run.parentRunId })
      }
      // A run stored already ended has had no follower (its id was not given out yet): its log is only stored.
      return runs.append(trx, s.run.id, events, { publish: !(s.unborn && terminal) })
    })
    if (s.unborn) settleStoring(s.run.id, true)
    if (requeued) {
      // Its first checkpoint found the workspace at its cap: stored queued, to be walked again from its start.
      deferred.add(s.run.workspaceId)
      throw new LostLease()
    }
    s.unborn = false
    await published!()
    for (const fn of after) fn()
    if (end?.status === 'failed') await failed(s.run)
    if (end && end.status !== 'waiting' && s.run.parentRunId) kick(s.run.parentRunId)
  }

  /** The value of every `{ $expr }` in a config, against the step's input and the run's bindings. */
  const resolveConfig = async (s: Slice, c: CompiledNode, input: unknown, env: Record<string, unknown>) => {
    const lazy = new Set(c.type.lazy ?? [])
    const found = expressionsIn(c.node.config).filter((f) => !lazy.has(String(f.path[0])))
    if (!found.length) return c.node.config
    const values = await expressions.evaluateMany(
      found.map((f) => f.source),
      input,
      bindingsOf(
        s,
        env,
        found.map((f) => f.source),
        input,
      ),
    )
    const config = structuredClone(c.node.config) as Record<string, unknown>
    found.forEach((f, i) => {
      let target: Record<string | number, unknown> = config
      for (const k of f.path.slice(0, -1)) target = target[k] as Record<string | number, unknown>
      target[f.path.at(-1)!] = values[i]
    })
    return config
  }
  /**
   * What expressions see besides their input as the context: `$json` (that input again, as n8n and our templates
   * name it), `$node` (outputs so far, by node name), `$trigger` and `$run`. Only what the expressions name crosses to
   * the sandbox (its size cap counts the bindings).
   */
  const bindingsOf = (s: Slice, env: Record<string, unknown>, sources: string[], input: unknown) => {
    const uses = (name: string) => sources.some((src) => src.includes(name))
    return {
      ...(uses('$json') ? { json: input } : {}),
      ...(uses('$node') ? { node: env } : {}),
      ...(uses('$trigger') ? { trigger: s.trigger } : {}),
      run: { id: s.run.id, flowId: s.run.flowId, clientId: s.run.clientId },
    }
  }
  const record = (s: Slice, p: PendingStep) => {
    s.pending.steps.push(p)
    if (p.completed) s.pending.completed++
    const existing = s.steps.get(p.nodeKey)
    s.steps.set(p.nodeKey, {
      ...(existing ?? { runId: s.run.id, seq: 0, inputRef: null, outputRef: null, credits: '0' }),
      ...p,
    } as FlowStepRow)
  }

  /** Commits a step as `started` (its attempt counted) before its external call, its lease covering `holdMs`. */
  const markStarted = async (
    s: Slice,
    base: { nodeKey: string; nodeId: string; iteration: string; idempotencyKey: string; input: unknown },
    attempt: number,
    startedAt: Date,
    holdMs: number,
  ) => {
    record(s, {
      ...base,
      status: 'started',
      attempts: attempt,
      output: null,
      port: null,
      error: null,
      startedAt,
      finishedAt: null,
      durationMs: null,
      completed: false,
    })
    event(s, 'step-started', { key: base.nodeKey, nodeId: base.nodeId, attempt })
    s.holdMs = holdMs
    await flush(s)
    s.holdMs = undefined
  }

  /** What every executor's context holds besides its step's own: the scope, the run, the log, the sandbox. */
  const contextOf = (s: Slice, key: string, nodeId: string, input: unknown, env: Record<string, unknown>) => ({
    input,
    scope: {
      userId: s.run.actingUserId,
      actingUserId: s.run.actingUserId,
      workspaceId: s.run.workspaceId,
      clientId: s.run.clientId,
      role: 'admin' as const,
    },
    runId: s.run.id,
    flowId: s.run.flowId,
    nodeId,
    now: s.now,
    log: (message: string, data?: unknown) =>
      event(s, 'step-log', { key, nodeId, message, ...(data === undefined ? {} : { data }) }),
    evaluate: async (expr: string, data?: unknown) =>
      (await expressions.evaluateMany([expr], data ?? input, bindingsOf(s, env, [expr], data ?? input)))[0],
  })

  const retryDelay = (policy: RetryPolicy, attempt: number, after?: number) =>
    after ?? Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)

  /** Executes one step (or finds it waiting); answers its outcome, or throws Suspend / RunFailed. */
  const runStep = async (
    s: Slice,
    c: CompiledNode,
    iteration: string,
    input: unknown,
    env: Record<string, unknown>,
  ): Promise<Outcome> => {
    // A caller stopped waiting for a run not stored yet (`stored`): it is stored now, before its next step.
    if (s.unborn && storing.get(s.run.id)?.wanted) await flush(s)
    const key = stepKey(c.node.id, iteration)
    const existing = s.steps.get(key)
    const base = {
      nodeKey: key,
      nodeId: c.node.id,
      iteration,
      idempotencyKey: idempotencyKeyOf(s.run.id, c.node.id, iteration),
      input,
    }
    const parked = existing?.status === 'waiting' || existing?.status === 'retrying'
    const parkedUntil = parked ? (existing.output as { until?: string } | null)?.until : undefined
    // A step parked until a time is not touched before it (a slice may come early: a reap, a sibling's kick).
    if (parkedUntil && new Date(parkedUntil) > now()) {
      s.wakeAt = new Date(parkedUntil)
      throw new Suspend()
    }
    if ((existing?.status !== 'waiting' && ++s.executed > config.maxStepsPerRun) || (existing?.attempts ?? 0) > 50)
      throw new RunFailed({
        code: 'flows.step_budget_exceeded',
        message: `A run may execute at most ${config.maxStepsPerRun} steps.`,
      })
    if (now() > s.run.deadlineAt)
      throw new RunFailed({ code: 'flows.run_timeout', message: 'The run went past its deadline.' })
    if (s.abort.signal.aborted) throw new LostLease()
    const waiting = existing?.status === 'waiting' ? existing : undefined
    const attempt = waiting ? waiting.attempts : (existing?.attempts ?? 0) + 1
    const startedAt = waiting?.startedAt ?? now()
    const policy: RetryPolicy = {
      max: 0,
      baseMs: 1000,
      maxMs: 60_000,
      ...c.type.retry,
      ...((c.node.config as { retry?: Partial<RetryPolicy> }).retry ?? {}),
    }
    const timeoutMs = (c.node.config as { timeoutMs?: number }).timeoutMs ?? c.type.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS
    let result: NodeResult
    try {
      if (waiting) {
        // A wait that ended (its time came, or what it waited for happened): the node says how it continues.
        const state = (waiting.output as { state?: unknown } | null)?.state
        const resumed = c.type.resume ? await c.type.resume({ state, input, now: now() }) : { output: input }
        if (!resumed) throw new Suspend()
        result = resumed
      } else {
        const resolved = await resolveConfig(s, c, input, env)
        const parsed = c.type.config.safeParse(resolved)
        if (!parsed.success)
          throw new StepFailure({
            code: 'flows.config_invalid',
            message: parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '),
            retryable: false,
          })
        if (c.type.effect === 'external') {
          // Marked started (with its attempt) before the call: a crash during it resumes with the same key.
          await markStarted(s, base, attempt, startedAt, timeoutMs)
        } else if (c.type.effect !== 'none' && s.unborn) {
          // A run not stored yet is stored before its first side effect (which writes in its own transaction).
          await flush(s)
        }
        const signal = AbortSignal.any([s.abort.signal, AbortSignal.timeout(timeoutMs)])
        result = await c.type.execute({
          ...contextOf(s, key, c.node.id, input, env),
          config: parsed.data as never,
          nodeName: c.node.name,
          iteration,
          attempt,
          finalAttempt: attempt > policy.max,
          checkpoint: async (h, r) => {
            const t = own<FlowsTables>(h)
            const at = now()
            const port = r.port ?? (Array.isArray(c.type.outputs) ? (c.type.outputs[0] ?? null) : null)
            const row = {
              status: 'completed' as const,
              output: json(r.output),
              port,
              error: null,
              credits: String(r.credits ?? 0n),
              finishedAt: at,
              durationMs: at.getTime() - startedAt.getTime(),
            }
            await t
              .insertInto('flowSteps')
              .values({
                runId: s.run.id,
                nodeKey: key,
                nodeId: c.node.id,
                iteration,
                seq: seqOf(s, key),
                idempotencyKey: base.idempotencyKey,
                startedAt,
                attempts: attempt,
                input: json(input),
                ...row,
              })
              .onConflict((oc) => oc.columns(['runId', 'nodeKey']).doUpdateSet(row))
              .execute()
            const held = await t
              .updateTable('flowRuns')
              .set((eb) => ({ credits: eb('credits', '+', String(r.credits ?? 0n)), steps: eb('steps', '+', 1) }))
              .where('id', '=', s.run.id)
              .where('status', '=', 'running')
              .where('leaseOwner', '=', owner)
              .executeTakeFirst()
            // Cancelled or taken over meanwhile: nothing of this attempt is kept (the caller's transaction rolls back).
            if (Number(held.numUpdatedRows) !== 1) throw new LostLease()
          },
          idempotencyKey: base.idempotencyKey,
          signal,
          runTool: (n, tool, toolInput) => runTool(s, c, iteration, n, tool, toolInput, env, signal),
        })
      }
    } catch (err) {
      if (err instanceof LostLease || err instanceof Suspend || err instanceof RunFailed) throw err
      if (s.abort.signal.aborted) throw new LostLease()
      const { error, retryAfterMs } = errorOf(err)
      const at = now()
      const timing = { startedAt, finishedAt: at, durationMs: at.getTime() - startedAt.getTime() }
      if (error.retryable && attempt <= policy.max) {
        const wakeAt = new Date(at.getTime() + retryDelay(policy, attempt, retryAfterMs))
        record(s, {
          ...base,
          status: 'retrying',
          attempts: attempt,
          output: { until: wakeAt.toISOString() },
          port: null,
          error,
          ...timing,
          completed: false,
        })
        event(s, 'step-retrying', { key, nodeId: c.node.id, error, at: wakeAt.toISOString() })
        s.wakeAt = wakeAt
        throw new Suspend()
      }
      if (c.outgoing.has('error')) {
        record(s, {
          ...base,
          status: 'completed',
          attempts: attempt,
          output: { error },
          port: 'error',
          error,
          ...timing,
          completed: true,
        })
        event(s, 'step-completed', { key, nodeId: c.node.id, port: 'error', durationMs: timing.durationMs })
        return { port: 'error', output: { error, input } }
      }
      record(s, {
        ...base,
        status: 'failed',
        attempts: attempt,
        output: null,
        port: null,
        error,
        ...timing,
        completed: false,
      })
      event(s, 'step-failed', { key, nodeId: c.node.id, error })
      throw new RunFailed(error)
    }
    const at = now()
    const timing = { startedAt, finishedAt: at, durationMs: at.getTime() - startedAt.getTime() }
    if ('wait' in result) {
      const until = result.wait.until
      if (result.commit) s.pending.commits.push(result.commit)
      if (result.afterCommit) s.pending.after.push(result.afterCommit)
      record(s, {
        ...base,
        status: 'waiting',
        attempts: attempt,
        output: { until: until?.toISOString(), state: result.wait.state },
        port: null,
        error: null,
        ...timing,
        finishedAt: null,
        durationMs: null,
        completed: false,
      })
      event(s, 'step-waiting', { key, nodeId: c.node.id, until: until?.toISOString() ?? null })
      s.wakeAt = until
      throw new Suspend()
    }
    const port = result.port ?? (Array.isArray(c.type.outputs) ? (c.type.outputs[0] ?? null) : null)
    record(s, {
      ...base,
      status: 'completed',
      attempts: attempt,
      output: result.output,
      port,
      error: null,
      ...timing,
      completed: !result.checkpointed,
    })
    event(s, 'step-completed', {
      key,
      nodeId: c.node.id,
      port,
      durationMs: timing.durationMs,
      output: summary(result.output),
    })
    if (result.commit) s.pending.commits.push(result.commit)
    if (result.event) event(s, result.event.type, result.event.data)
    if (c.type.effect !== 'none') await flush(s)
    return { port, output: result.output }
  }

  /**
   * One tool call of an AI step: another node type's action run as a step of its own (`<node>/tool:<n>`, key
   * `<step key>:tool:<n>`), checkpointed like any step. A call already completed (an earlier attempt of the AI step)
   * answers its stored output without running again; a failure is the model's to read, not the run's.
   */
  const runTool = async (
    s: Slice,
    parent: CompiledNode,
    iteration: string,
    n: number,
    tool: { type: string; config: Record<string, unknown> },
    input: unknown,
    env: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ output: unknown } | { error: StepError }> => {
    const nodeId = `${parent.node.id}/tool:${n}`
    const key = stepKey(nodeId, iteration)
    const done = s.steps.get(key)
    if (done?.status === 'completed') return { output: done.output }
    const type = registry.get(tool.type)
    if (!type || type.effect === 'none' || type.kind !== 'action')
      return { error: { code: 'flows.tool_unavailable', message: `No action ${tool.type} to call.` } }
    const idempotencyKey = `${idempotencyKeyOf(s.run.id, parent.node.id, iteration)}:tool:${n}`
    const startedAt = now()
    const base = { nodeKey: key, nodeId, iteration, idempotencyKey, input }
    const attempt = (done?.attempts ?? 0) + 1
    await markStarted(s, base, attempt, startedAt, DEFAULT_STEP_TIMEOUT_MS)
    let outcome: { output: unknown } | { error: StepError }
    try {
      const compiled = { ...parent, node: { ...parent.node, id: nodeId, config: tool.config }, type }
      const parsed = type.config.safeParse(await resolveConfig(s, compiled, input, env))
      if (!parsed.success)
        throw new StepFailure({
          code: 'flows.config_invalid',
          message: parsed.error.issues[0]?.message ?? 'Invalid config',
          retryable: false,
        })
      const result = await type.execute({
        ...contextOf(s, key, nodeId, input, env),
        config: parsed.data as never,
        nodeName: `${parent.node.name} → ${tool.type}`,
        iteration,
        attempt,
        finalAttempt: true,
        idempotencyKey,
        signal,
        checkpoint: async () => {
          throw new StepFailure({
            code: 'flows.tool_unavailable',
            message: 'This action cannot be a tool.',
            retryable: false,
          })
        },
        runTool: async () => ({ error: { code: 'flows.tool_unavailable', message: 'Tools do not call tools.' } }),
      })
      if ('wait' in result)
        throw new StepFailure({ code: 'flows.tool_unavailable', message: 'A tool cannot wait.', retryable: false })
      if (result.commit) s.pending.commits.push(result.commit)
      outcome = { output: result.output }
    } catch (err) {
      if (err instanceof LostLease) throw err
      outcome = { error: errorOf(err).error }
    }
    const at = now()
    const output = 'output' in outcome ? outcome.output : null
    const error = 'error' in outcome ? outcome.error : null
    const durationMs = at.getTime() - startedAt.getTime()
    record(s, {
      ...base,
      status: error ? 'failed' : 'completed',
      attempts: attempt,
      output,
      port: error ? null : 'out',
      error,
      startedAt,
      finishedAt: at,
      durationMs,
      completed: !error,
    })
    if (error) event(s, 'step-failed', { key, nodeId, error })
    else event(s, 'step-completed', { key, nodeId, port: 'out', durationMs, output: summary(output) })
    await flush(s)
    return outcome
  }

  /** Walks one frame (the top level, or one iteration of a loop body) in topological order. */
  const walk = async (
    s: Slice,
    loop: string | null,
    iteration: string,
    env: Record<string, unknown>,
    entry?: { loopId: string; item: unknown },
  ): Promise<FrameResult> => {
    const outcomes = new Map<string, Outcome>()
    let last: unknown = undefined
    const members =
      loop === null
        ? [...s.graph.nodes.values()].filter((n) => n.loop === null)
        : s.graph.bodies
            .get(loop)!
            .map((id) => s.graph.nodes.get(id)!)
            .filter((n) => n.loop === loop)
    members.sort((a, b) => a.order - b.order)
    for (const c of members) {
      const fired: { from: string; output: unknown }[] = []
      for (const e of c.incoming) {
        if (entry && e.from === entry.loopId && e.fromPort === 'each') fired.push({ from: e.from, output: entry.item })
        else {
          const o = outcomes.get(e.from)
          if (o && o.port === e.fromPort) fired.push({ from: e.from, output: o.output })
        }
      }
      if (c.type.kind !== 'trigger' && !fired.length) continue
      const input =
        c.type.kind === 'trigger'
          ? s.trigger
          : c.type.type === 'core.merge'
            ? fired.map((f) => ({ node: s.graph.nodes.get(f.from)!.node.name, output: f.output }))
            : fired[0]!.output
      const key = stepKey(c.node.id, iteration)
      const existing = s.steps.get(key)
      let outcome: Outcome
      if (existing?.status === 'completed') outcome = { port: existing.port, output: existing.output }
      else if (c.type.type === 'core.loop') outcome = await runLoop(s, c, iteration, input, env)
      else
        outcome = await traceStep(
          {
            workspaceId: s.run.workspaceId,
            flowId: s.run.flowId,
            runId: s.run.id,
            nodeId: c.node.id,
            nodeType: c.type.type,
            iteration,
          },
          () => runStep(s, c, iteration, input, env),
          () => s.steps.get(key),
        )
      outcomes.set(c.node.id, outcome)
      env = { ...env, [c.node.name]: outcome.output }
      last = outcome.output
    }
    return { kind: 'done', last }
  }

  /** A loop: its items resolved once (kept in its step's input), each walked as a frame, outputs collected on `done`. */
  const runLoop = async (
    s: Slice,
    c: CompiledNode,
    iteration: string,
    input: unknown,
    env: Record<string, unknown>,
  ) => {
    const key = stepKey(c.node.id, iteration)
    let items = s.steps.get(key)?.input as unknown[] | undefined
    const startedAt = s.steps.get(key)?.startedAt ?? now()
    const base = {
      nodeKey: key,
      nodeId: c.node.id,
      iteration,
      idempotencyKey: idempotencyKeyOf(s.run.id, c.node.id, iteration),
    }
    if (!items) {
      try {
        const resolved = c.type.config.parse(await resolveConfig(s, c, input, env)) as {
          items: unknown[]
          maxItems: number
        }
        if (resolved.items.length > resolved.maxItems)
          throw new StepFailure({
            code: 'flows.loop_too_long',
            message: `The loop has ${resolved.items.length} items; its limit is ${resolved.maxItems}.`,
            retryable: false,
          })
        items = resolved.items
      } catch (err) {
        const { error } = errorOf(
          err instanceof z.ZodError
            ? new StepFailure({
                code: 'flows.config_invalid',
                message: err.issues[0]?.message ?? 'Invalid config',
                retryable: false,
              })
            : err,
        )
        record(s, {
          ...base,
          status: 'failed',
          attempts: 1,
          input,
          output: null,
          port: null,
          error,
          startedAt,
          finishedAt: now(),
          durationMs: 0,
          completed: false,
        })
        event(s, 'step-failed', { key, nodeId: c.node.id, error })
        throw new RunFailed(error)
      }
      record(s, {
        ...base,
        status: 'started',
        attempts: 1,
        input: items,
        output: null,
        port: null,
        error: null,
        startedAt,
        finishedAt: null,
        durationMs: null,
        completed: false,
      })
      event(s, 'step-started', { key, nodeId: c.node.id, attempt: 1, items: items.length })
    }
    const collected: unknown[] = []
    for (let i = 0; i < items.length; i++) {
      const frame = await walk(
        s,
        c.node.id,
        `${iteration}.${i}`,
        { ...env, [c.node.name]: { item: items[i], index: i } },
        { loopId: c.node.id, item: items[i] },
      )
      collected.push(frame.kind === 'done' ? (frame.last ?? null) : null)
    }
    const at = now()
    record(s, {
      ...base,
      status: 'completed',
      attempts: 1,
      input: items,
      output: collected,
      port: 'done',
      error: null,
      startedAt,
      finishedAt: at,
      durationMs: at.getTime() - startedAt.getTime(),
      completed: true,
    })
    event(s, 'step-completed', { key, nodeId: c.node.id, port: 'done', durationMs: at.getTime() - startedAt.getTime() })
    return { port: 'done', output: collected }
  }

  /** One slice of a run: claim, walk, checkpoint, and end, park or hand over. */
  const slice = (runId: string): Promise<SliceOutcome | undefined> => {
    const running = inflight.get(runId)
    if (running) return running.done
    const abort = new AbortController()
    const fresh = opened.get(runId)
    opened.delete(runId)
    const unstored = unborn.delete(runId)
    if (unstored) storing.set(runId, { wanted: false, waiters: [] })
    const done = (async (): Promise<SliceOutcome | undefined> => {
      // Still ours by the start's lease (with a margin), or not stored yet: no claim; else claimed like any other run.
      const claimed =
        (fresh && unstored) ||
        (fresh?.leaseOwner === owner &&
          fresh.leaseUntil &&
          fresh.leaseUntil.getTime() - config.leaseMs / 2 > now().getTime())
          ? { run: fresh, steps: [] as FlowStepRow[], seq: 0, first: true }
          : await claim(runId)
      if (!claimed) return undefined
      const { run, steps, seq, first } = claimed
      const s: Slice = {
        run,
        graph: await graphOf(run.versionId),
        steps: new Map(steps.map((r) => [r.nodeKey, r])),
        seq,
        nextStepSeq: steps.reduce((m, r) => Math.max(m, r.seq), 0) + 1,
        pending: { steps: [], events: [], commits: [], completed: 0, after: [] },
        abort,
        now: now(),
        executed: steps.length,
        trigger: run.input,
        unborn: unstored,
      }
      if (first && seq === 0) event(s, 'run', { runId, flowId: run.flowId, status: 'running' })
      try {
        const top = await walk(s, null, '0', {})
        const output = top.kind === 'done' ? top.last : null
        await flush(s, { status: 'completed', output })
        return { status: 'completed' as const, output }
      } catch (err) {
        if (err instanceof Suspend) {
          await flush(s, { status: 'waiting', wakeAt: s.wakeAt })
          return { status: 'waiting' as const }
        }
        if (err instanceof RunFailed) {
          await flush(s, { status: 'failed', error: err.error })
          return { status: 'failed' as const, error: err.error }
        }
        if (err instanceof LostLease) return undefined
        // The lease is left to expire: the reaper hands the run to a slice again.
        report(`run ${runId} slice crashed`, err)
        return undefined
      }
    })()
      .catch((err: unknown) => {
        if (!(err instanceof LostLease)) report(`run ${runId}`, err)
        return undefined
      })
      .then((outcome) => {
        inflight.delete(runId)
        settleStoring(runId, false) // ended without storing the run (it crashed before its first checkpoint)
        // Only a slice that ran frees a slot: one that found the cap full must not look again (it would spin).
        if (outcome && deferred.size) resumeTracked()
        return outcome
      })
    inflight.set(runId, { abort, done })
    return done
  }

  const resumeTracked = () => {
    const resumed = resumeDeferred().finally(() => resuming.delete(resumed))
    resuming.add(resumed)
  }

  /**
   * Runs left queued by the workspace cap: the oldest of each such workspace get a slice. A workspace with more queued
   * than were looked up stays deferred, for the next slot to free (a run kicked into a full cap marks it again too).
   */
  const resumeDeferred = async () => {
    const workspaces = [...deferred]
    deferred.clear()
    for (const workspaceId of workspaces) {
      const next = await db
        .selectFrom('flowRuns')
        .select('id')
        .where('workspaceId', '=', workspaceId)
        .where('status', '=', 'queued')
        .orderBy('createdAt')
        .limit(config.concurrencyPerWorkspace)
        .execute()
        .catch(() => [])
      if (next.length === config.concurrencyPerWorkspace) deferred.add(workspaceId)
      for (const r of next) kick(r.id)
    }
  }

  /** Runs whose slice's process died (lease expired), that were never picked up, or whose wake-up job was lost. */
  const reap = async () => {
    const at = now()
    const stale = await db
      .selectFrom('flowRuns')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([
            eb('status', 'in', ['queued', 'running']),
            eb.or([eb('leaseUntil', 'is', null), eb('leaseUntil', '<', at)]),
          ]),
          eb.and([eb('status', '=', 'waiting'), eb('wakeAt', '<', new Date(at.getTime() - 30_000))]),
        ]),
      )
      .orderBy('createdAt')
      .limit(500)
      .execute()
    for (const r of stale) kick(r.id)
    return stale.length
  }

  /** Cancels a run that has not ended: its open steps are closed, its slice (in any process) stops at its next write. */
  const cancel = async (workspaceId: string, runId: string, within?: (trx: Handle) => Promise<unknown>) => {
    let done: LoggedEvent[] = []
    const cancelled = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('flowRuns')
        .set({ status: 'cancelled', finishedAt: now(), leaseOwner: null, leaseUntil: null, wakeAt: null })
        .where('workspaceId', '=', workspaceId)
        .where('id', '=', runId)
        .where('status', 'in', ['queued', 'running', 'waiting'])
        .returningAll()
        .executeTakeFirst()
      if (!row) return null
      await trx
        .updateTable('flowSteps')
        .set({ status: 'cancelled', finishedAt: now() })
        .where('runId', '=', runId)
        .where('status', 'in', ['started', 'retrying', 'waiting'])
        .execute()
      await runs.finish(trx, workspaceId, runId, 'cancelled')
      await within?.(trx)
      done = await runs.appendDone(trx, runId, {
        status: 'cancelled',
        steps: row.steps,
        credits: creditsString(BigInt(row.credits)),
      })
      return row
    })
    if (!cancelled) return null
    const children = await db
      .selectFrom('flowRuns')
      .select('id')
      .where('parentRunId', '=', runId)
      .where('status', 'in', ['queued', 'running', 'waiting'])
      .execute()
    for (const child of children) await cancel(workspaceId, child.id)
    inflight.get(runId)?.abort.abort()
    await bus.publish(CANCEL_CHANNEL, runId).catch(() => undefined)
    await runs.publish(runId, done).catch(() => undefined)
    return cancelled
  }

  /** The run layer's finaliser: a flow run older than its longest life is closed with its open steps. */
  const finalise = async (h: Handle, run: Run, status: 'failed' | 'cancelled') => {
    const trx = own<FlowsTables>(h)
    const row = await trx
      .updateTable('flowRuns')
      .set({
        status,
        finishedAt: now(),
        leaseOwner: null,
        leaseUntil: null,
        error: json({ code: 'flows.run_timeout', message: 'The run went past the longest a run may last.' }),
      })
      .where('id', '=', run.id)
      .where('status', 'in', ['queued', 'running', 'waiting'])
      .returningAll()
      .executeTakeFirst()
    await trx
      .updateTable('flowSteps')
      .set({ status: status === 'failed' ? 'failed' : 'cancelled', finishedAt: now() })
      .where('runId', '=', run.id)
      .where('status', 'in', ['started', 'retrying', 'waiting'])
      .execute()
    return { status, steps: row?.steps ?? 0, credits: creditsString(BigInt(row?.credits ?? '0')) }
  }

  let reaper: NodeJS.Timeout | undefined
  let reaping = false
  const reapNow = async () => {
    if (reaping) return
    reaping = true
    await reap()
      .catch((err: unknown) => report('reap', err))
      .finally(() => (reaping = false))
  }

  /** How a run stands (a sub-flow step reads its child's). */
  const outcomeOf = (runId: string) =>
    db.selectFrom('flowRuns').select(['status', 'output', 'error']).where('id', '=', runId).executeTakeFirst()
  /** How many runs up the chain of parents a run is (0 for a run nobody called). */
  const depthOf = async (h: Handle, runId: string) => {
    let depth = 0
    let id: string | null = runId
    while (id && depth < 50) {
      const row: { parentRunId: string | null } | undefined = await own<FlowsTables>(h)
        .selectFrom('flowRuns')
        .select('parentRunId')
        .where('id', '=', id)
        .executeTakeFirst()
      id = row?.parentRunId ?? null
      if (id) depth++
    }
    return depth
  }

  return {
    owner,
    startRun,
    /** Enqueues a run's next slice in the caller's transaction (a run `startRun` stored unclaimed). */
    enqueueSlice: (h: Handle, runId: string) => queue.enqueue(h, advanceJob, { runId }),
    open,
    begin,
    stored,
    outcomeOf,
    depthOf,
    kick,
    slice,
    reap,
    cancel,
    /**
     * Processes that work jobs reap once at start-up and then every `reapMs`: the runs of a process that died continue
     * as soon as their lease expires, not at the next minute's cron.
     */
    start() {
      if (reaper) return
      void reapNow()
      reaper = setInterval(() => void reapNow(), config.reapMs)
      reaper.unref()
    },
    /** Stops the periodic reap; resolves when every slice running in this process has stopped (tests, shutdown). */
    async drain(ms = 10_000) {
      clearInterval(reaper)
      reaper = undefined
      const until = Date.now() + ms
      // Slices may start others as they end (a sub-flow's parent, a deferred run): wait until none is left.
      while ((inflight.size || resuming.size) && Date.now() < until) {
        const timeout = new Promise((ok) => setTimeout(ok, until - Date.now()).unref())
        await Promise.race([Promise.all([...[...inflight.values()].map((r) => r.done), ...resuming]), timeout])
      }
    },
    async listen() {
      await bus.subscribe(CANCEL_CHANNEL, (id) => inflight.get(id)?.abort.abort())
    },
    runKind: { durable: true, maxAgeMs: 31 * 86_400_000, finalise },
    jobs: [advanceJob, reapJob],
  }
}
export type Engine = ReturnType<typeof createEngine>

/** What a step's live event carries of its output: small outputs whole, larger ones cut (the trace has them all). */
const summary = (output: unknown) => {
  const text = output === undefined ? 'null' : JSON.stringify(output)
  return text.length <= 4096 ? output : { truncated: true, preview: text.slice(0, 4000) }
}
