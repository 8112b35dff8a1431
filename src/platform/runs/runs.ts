import { sql } from 'kysely'
import { z } from 'zod'
import { own, type Handle } from '../db/database.ts'
import { defineJob } from '../queue/queue.ts'
import type { Bus } from '../realtime/bus.ts'
import { createRunLog, TERMINAL_EVENT, type FeedMessage, type LoggedEvent, type RunLog } from './run-log.ts'
import type { Run, RunStatus, RunsTables } from './runs.tables.ts'

/** A run whose row has not been touched for this long has lost the process that was writing it. */
export const HEARTBEAT_STALE_MS = 60_000
/** How often the writing process touches its run's row (well inside HEARTBEAT_STALE_MS). */
const BEAT_MS = 5_000
/** How long a cancel waits for the process writing the run to close it, before closing it itself. */
const ORPHAN_WAIT_MS = 3_000

/** What a module registers for a kind of run. */
export type RunKind = {
  /** The longest a run of this kind takes: older, it is closed even if something still beats for it. */
  maxAgeMs: number
  /**
   * Closes the kind's own rows for a run nobody is writing any more (its process died: 'failed'; a cancel that found
   * no writer: 'cancelled'), keeping its partial output, in the transaction that closes the run. Returns the data of
   * the run's final `done` event.
   */
  finalise: (trx: Handle, run: Run, status: 'failed' | 'cancelled') => Promise<Record<string, unknown>>
  /**
   * A durable run has no heartbeat: it is written in slices by whichever process holds it (a flow parked on a delay has
   * no writer at all), so only its age closes it; its module recovers slices whose process died.
   */
  durable?: boolean
}

/** How a run ended. */
type EndOf = { status: Exclude<RunStatus, 'running'>; error?: object | null }

/** The running side of a run, in the process writing it. */
export type LiveRun<E extends { type: string }> = { log: RunLog<E>; abort: AbortController }

const channelOf = (runId: string) => `run:${runId}`
const CANCEL_CHANNEL = 'runs:cancel'

/**
 * The run layer: a run's row (status, heartbeat, end), its persisted event log, its live fan-out through the bus,
 * cancel from any process, and one sweeper that closes runs whose process died through each kind's finaliser. Modules
 * reach it only through this API (never its tables); they keep their own rows (a message, a turn) and register a kind.
 */
export const createRuns = ({ db: handle, bus, now = () => new Date() }: { db: Handle; bus: Bus; now?: () => Date }) => {
  const db = own<RunsTables>(handle)
  const kinds = new Map<string, RunKind>()
  const inflight = new Map<string, { abort: AbortController; done: Promise<void> }>()

  /** What a run's channel carries for a batch: the rows, or only how far the log reaches when over the bus's limit. */
  const messageOf = (rows: LoggedEvent[]) => {
    const full = JSON.stringify({ rows } satisfies FeedMessage)
    // Over the bus's limit (NOTIFY: 8000 bytes) only how far the log reaches travels; followers read the rest.
    return Buffer.byteLength(full) <= bus.maxPayload
      ? full
      : JSON.stringify({ upTo: rows.at(-1)!.seq } satisfies FeedMessage)
  }
  const publish = async (runId: string, rows: LoggedEvent[]) => {
    if (rows.length) await bus.publish(channelOf(runId), messageOf(rows))
  }
  /**
   * Stores a batch in the caller's transaction (or alone) and answers what publishes it, to call after the commit. On
   * PostgreSQL's bus the NOTIFY rides in the INSERT's own statement (one round trip, sent by PostgreSQL at the commit)
   * and the call only tells this process's subscribers; elsewhere the call publishes. A lost publish is not an error:
   * followers catch up from the table at the next sequence gap. `publish: false` stores only (a run nobody can be
   * following yet: its id was never given out).
   */
  const append = async (
    h: Handle,
    runId: string,
    rows: LoggedEvent[],
    opts: { publish?: boolean } = {},
  ): Promise<() => Promise<void>> => {
    if (!rows.length) return async () => {}
    const prepared = opts.publish === false ? undefined : bus.prepare?.(channelOf(runId), messageOf(rows))
    if (!prepared) {
      await own<RunsTables>(h)
        .insertInto('runEvents')
        .values(rows.map((r) => ({ runId, seq: r.seq, type: r.type, data: JSON.stringify(r.data) })))
        .execute()
      return opts.publish === false ? async () => {} : () => publish(runId, rows).catch(() => undefined)
    }
    await sql`with stored as (
        insert into run_events (run_id, seq, type, data)
        select ${runId}, e.seq, e.type, e.data
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as e(seq integer, type text, data jsonb)
      )
      select pg_notify(${prepared.name}, ${prepared.payload})`.execute(h)
    return async () => prepared.local()
  }
  /** Stores a batch and publishes it. */
  const write = async (runId: string, rows: LoggedEvent[]) => (await append(db, runId, rows))()
  /** Ends a run's log with `done` after whatever it holds; the caller publishes the row after its commit. */
  const appendDone = async (h: Handle, runId: string, data: Record<string, unknown>) => {
    const { rows } = await sql<LoggedEvent>`insert into run_events (run_id, seq, type, data)
      select ${runId}, coalesce(max(seq), 0) + 1, ${TERMINAL_EVENT}, ${JSON.stringify(data)}::jsonb
      from run_events where run_id = ${runId}
      returning seq, type, data`.execute(h)
    return rows
  }
  const isDone = async (runId: string) =>
    Boolean(
      await db
        .selectFrom('runEvents')
        .select('seq')
        .where('runId', '=', runId)
        .where('type', '=', TERMINAL_EVENT)
        .executeTakeFirst(),
    )
  const after = (runId: string, seq: number): Promise<LoggedEvent[]> =>
    db
      .selectFrom('runEvents')
      .select(['seq', 'type', 'data'])
      .where('runId', '=', runId)
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(1000)
      .execute()
  const finish = async (h: Handle, workspaceId: string, id: string, status: RunStatus, error?: object | null) =>
    Number(
      (
        await own<RunsTables>(h)
          .updateTable('runs')
          .set({ status, finishedAt: now(), ...(error ? { error: JSON.stringify(error) } : {}) })
          .where('workspaceId', '=', workspaceId)
          .where('id', '=', id)
          .where('status', '=', 'running')
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1
  /** Closes runs nobody writes through their kind's finaliser and ends their logs; publishes after the commit. */
  const close = async (runs: Run[], status: 'failed' | 'cancelled', trx: Handle) => {
    const done: [string, LoggedEvent[]][] = []
    for (const run of runs) {
      const kind = kinds.get(run.kind)
      const data = kind ? await kind.finalise(trx, run, status) : { status }
      done.push([run.id, await appendDone(trx, run.id, data)])
    }
    return () => Promise.all(done.map(([id, rows]) => publish(id, rows).catch(() => undefined)))
  }

  /** Waits up to `ms` for a run's log to end, following its channel (no polling). */
  const waitDone = async (runId: string, ms: number) => {
    let settle!: (done: boolean) => void
    const result = new Promise<boolean>((ok) => (settle = ok))
    const timer = setTimeout(() => settle(false), ms)
    const unsubscribe = await bus.subscribe(channelOf(runId), (raw) => {
      const m = JSON.parse(raw) as FeedMessage
      if ('rows' in m ? m.rows.some((r) => r.type === TERMINAL_EVENT) : true)
        void isDone(runId).then((d) => d && settle(true))
    })
    if (await isDone(runId)) settle(true)
    const done = await result
    clearTimeout(timer)
    unsubscribe()
    return done
  }

  const sweep = async () => {
    const at = now()
    const beat = new Date(at.getTime() - HEARTBEAT_STALE_MS)
    let published: (() => Promise<unknown>) | undefined
    await db.transaction().execute(async (trx) => {
      const stale: Run[] = []
      for (const [kind, hooks] of kinds)
        stale.push(
          ...(await trx
            .updateTable('runs')
            .set({ status: 'failed', finishedAt: at })
            .where('kind', '=', kind)
            .where('status', '=', 'running')
            .where((eb) =>
              eb.or([
                ...(hooks.durable ? [] : [eb(eb.fn.coalesce('heartbeatAt', 'createdAt'), '<', beat)]),
                eb('createdAt', '<', new Date(at.getTime() - hooks.maxAgeMs)),
              ]),
            )
            .returningAll()
            .execute()),
        )
      published = await close(stale, 'failed', trx)
    })
    await published?.()
  }

  return {
    /** Registers a kind of run (at start-up, from the composition root) with its finaliser. */
    register(kind: string, hooks: RunKind) {
      kinds.set(kind, hooks)
    },

    /**
     * Opens a run in the caller's transaction; a second running run for the same kind and subject is a 23505. With
     * `end`, the run is recorded already ended (a durable run stored only once it had finished).
     */
    insert: (
      h: Handle,
      { end, ...r }: { id: string; kind: string; workspaceId: string; subjectId: string; end?: EndOf },
    ) =>
      own<RunsTables>(h)
        .insertInto('runs')
        .values({
          ...r,
          status: end?.status ?? 'running',
          ...(end ? { finishedAt: now(), ...(end.error ? { error: JSON.stringify(end.error) } : {}) } : {}),
        })
        .execute(),
    get: (workspaceId: string, id: string) =>
      db.selectFrom('runs').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /** Runs by id (e.g. a page of meetings), keyed by id. */
    many: async (workspaceId: string, ids: string[]) =>
      new Map(
        (ids.length
          ? await db
              .selectFrom('runs')
              .selectAll()
              .where('workspaceId', '=', workspaceId)
              .where('id', 'in', ids)
              .execute()
          : []
        ).map((r) => [r.id, r]),
      ),
    latest: (workspaceId: string, kind: string, subjectId: string) =>
      db
        .selectFrom('runs')
        .selectAll()
        .where('workspaceId', '=', workspaceId)
        .where('kind', '=', kind)
        .where('subjectId', '=', subjectId)
        .orderBy('createdAt', 'desc')
        .limit(1)
        .executeTakeFirst(),
    /** The running run of each subject that has one, keyed by subject. */
    running: async (h: Handle, workspaceId: string, kind: string, subjectIds: string[]) =>
      new Map(
        (subjectIds.length
          ? await own<RunsTables>(h)
              .selectFrom('runs')
              .selectAll()
              .where('workspaceId', '=', workspaceId)
              .where('kind', '=', kind)
              .where('status', '=', 'running')
              .where('subjectId', 'in', subjectIds)
              .execute()
          : []
        ).map((r) => [r.subjectId, r]),
      ),
    /** Moves a running run to its final state once; false when it had already ended (e.g. cancelled meanwhile). */
    finish,

    /**
     * Runs `body` in the background as the writer of run `id`: gives it the run's log (stored in batches, then
     * published on the bus) and an abort controller that a cancel from any process fires (through the bus; the
     * heartbeat written every 5 s also reads the status, as a fallback). Tracked for `drain`.
     */
    start<E extends { type: string }>(id: string, body: (run: LiveRun<E>) => Promise<void>) {
      const abort = new AbortController()
      const log = createRunLog<E>((rows) => write(id, rows))
      const beat = () =>
        void db
          .updateTable('runs')
          .set({ heartbeatAt: now() })
          .where('id', '=', id)
          .returning('status')
          .executeTakeFirst()
          .then((r) => {
            if (r?.status === 'cancelled') abort.abort()
          })
          .catch(() => undefined)
      beat()
      const heartbeat = setInterval(beat, BEAT_MS)
      const done = Promise.resolve()
        .then(() => body({ log, abort }))
        .catch((err: unknown) => {
          console.error(`[runs] run ${id} crashed:`, err)
        })
        .finally(() => {
          clearInterval(heartbeat)
          inflight.delete(id)
        })
      inflight.set(id, { abort, done })
      return { log, abort, done }
    },

    /**
     * Cancels a running run from any process: here it aborts its writer and waits for it; elsewhere the row moves to
     * cancelled and the bus tells the writer, which keeps what it wrote; if nobody closes it within a few seconds its
     * process is gone, and it is closed here through its kind's finaliser. False when it was not running.
     */
    async cancel(workspaceId: string, id: string) {
      const local = inflight.get(id)
      local?.abort.abort()
      const moved = await finish(db, workspaceId, id, 'cancelled')
      if (local) {
        await local.done
        return true
      }
      if (!moved) return false
      await bus.publish(CANCEL_CHANNEL, id).catch(() => undefined)
      if (await waitDone(id, ORPHAN_WAIT_MS)) return true
      const run = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      const published = await db.transaction().execute((trx) => close([run], 'cancelled', trx))
      await published()
      return true
    },

    /**
     * For durable runs written in slices by successive processes: the last sequence number of a run's log, events stored
     * in the caller's transaction (numbered by the caller from that; `append` answers their publication, to call after
     * the commit), and publication of rows stored otherwise.
     */
    lastSeq: async (h: Handle, runId: string) =>
      Number(
        (
          await own<RunsTables>(h)
            .selectFrom('runEvents')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .where('runId', '=', runId)
            .executeTakeFirst()
        )?.seq ?? 0,
      ),
    append,
    publish,
    /** Ends a run's log with `done` in the caller's transaction; publish the returned rows after its commit. */
    appendDone,
    /**
     * For a durable run stored only once it has ended, its module writing everything in one statement: the CTEs that
     * insert the run's row, ended, and its whole log, to open the module's statement with (`with <these>, <its own>
     * select …`). The log is not published: nobody can be following a run whose id was never given out.
     */
    endedCtes: (
      r: { id: string; kind: string; workspaceId: string; subjectId: string; end: EndOf },
      rows: LoggedEvent[],
    ) =>
      sql`run_row as (
          insert into runs (id, kind, workspace_id, subject_id, status, error, finished_at)
          values (${r.id}, ${r.kind}, ${r.workspaceId}, ${r.subjectId}, ${r.end.status},
            ${r.end.error ? JSON.stringify(r.end.error) : null}::jsonb, ${now()})
        ),
        run_log as (
          insert into run_events (run_id, seq, type, data)
          select ${r.id}, e.seq, e.type, e.data
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as e(seq integer, type text, data jsonb)
        )`,
    /** Deletes ended runs and their logs (a module's retention, after it deleted its own rows for them). */
    async prune(h: Handle, ids: string[]) {
      if (!ids.length) return 0
      const t = own<RunsTables>(h)
      const ended = await t
        .selectFrom('runs')
        .select('id')
        .where('id', 'in', ids)
        .where('status', '<>', 'running')
        .execute()
      const gone = ended.map((r) => r.id)
      if (!gone.length) return 0
      await t.deleteFrom('runEvents').where('runId', 'in', gone).execute()
      await t.deleteFrom('runs').where('id', 'in', gone).execute()
      return gone.length
    },

    /** Stored events after a sequence number, oldest first (at most 1000). */
    after,
    isDone,
    /** The data of a run's events of one type, in order (e.g. the deltas a finaliser or a recovery reads). */
    eventData: async (h: Handle, runId: string, type: string) =>
      (
        await own<RunsTables>(h)
          .selectFrom('runEvents')
          .select('data')
          .where('runId', '=', runId)
          .where('type', '=', type)
          .orderBy('seq')
          .execute()
      ).map((r) => r.data),

    /** A run's live events for streaming: what its channel carries, and what is stored, to replay what was missed. */
    feed: {
      subscribe: (runId: string, onMessage: (m: FeedMessage) => void, onResync: () => void) =>
        bus.subscribe(channelOf(runId), (raw) => onMessage(JSON.parse(raw) as FeedMessage), onResync),
      after: (runId: string, seq: number) => after(runId, seq),
      isDone: (runId: string) => isDone(runId),
    },

    /** Listens for cancels of runs this process writes (call once at start-up). */
    async listen() {
      await bus.subscribe(CANCEL_CHANNEL, (id) => inflight.get(id)?.abort.abort())
    },

    sweep,
    /**
     * Runs whose process died stay "running" forever otherwise: once a run's heartbeat has stopped for a minute (or it
     * is older than its kind's longest run, whatever happens) it is closed as failed through its kind's finaliser,
     * keeping the partial output, and its log ends with `done`. Every minute.
     */
    jobs: [
      defineJob({
        name: 'runs.sweep-stale-runs',
        payload: z.object({}).passthrough(),
        cron: '* * * * *',
        handler: sweep,
      }),
    ],

    /** Lets runs in flight finish (up to `ms`), then stops the rest; their writers save them as cancelled. */
    async drain(ms = 10_000) {
      const timeout = new Promise((ok) => setTimeout(ok, ms).unref())
      await Promise.race([Promise.all([...inflight.values()].map((r) => r.done)), timeout])
      for (const r of inflight.values()) r.abort.abort()
      await Promise.all([...inflight.values()].map((r) => r.done))
    },
  }
}
export type Runs = ReturnType<typeof createRuns>
export type RunFeed = Runs['feed']
export type { Run, RunStatus } from './runs.tables.ts'
