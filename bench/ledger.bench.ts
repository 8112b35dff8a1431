import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import pg from 'pg'
import { createLedger, type HoldRequest } from '../src/modules/credits/ledger.ts'
import { createDatabase } from '../src/platform/db/database.ts'
import type { DB, Db } from '../src/schema.ts'
import { newId } from '../src/platform/db/ids.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'
import { gitCommit, machineMs, pct, postgresMs } from './measure.ts'

/**
 * bench/ledger: holds + settles per second on PostgreSQL through the batched ledger (src/modules/credits/ledger.ts:
 * one transaction per batch of queued requests of a workspace) against a naive row-lock implementation written
 * here (one transaction per hold and one per settle, each locking the account row), on the same migrated schema,
 * the same pool and the same triggers. Two scenarios: every client on one hot workspace, and calls spread over
 * BENCH_WORKSPACES workspaces. Reports operations/s (one operation = a hold then its settle), p50/p99 latency per
 * operation and the ratio ours / naive (target: ≥ 3× on the hot workspace), then checks the ledger's invariants.
 */
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 20)
const WORKSPACES = Number(process.env.BENCH_WORKSPACES ?? 1000)
const TARGET_HOT_RATIO = 3
/** The lone-call phase: calls one at a time; IDLE_MS is the upstream's time between a call's hold and its settle. */
const LONE_CALLS = Number(process.env.BENCH_LONE_CALLS ?? 400)
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 20)

/** Micro-credits: each call holds 1 credit and costs 0.4 (never more than its hold, so no overage path). */
const HOLD = 1_000_000n
const COST = 400_000n
const GRANT = 1_000_000_000_000_000n
const TTL_MS = 10 * 60_000
const SURFACE = 'v1'
const MODEL = 'bench-model'

/** One operation: a hold, then its settle at COST. Throws when either is refused. */
type Impl = { name: 'ours' | 'naive'; op: (workspaceId: string, requestId: string) => Promise<void> }

/** The hold request of one operation: HOLD credits on a workspace under a request id. */
const holdOf = (workspaceId: string, requestId: string): HoldRequest => ({
  workspaceId,
  clientId: null,
  userId: null,
  tokenId: null,
  surface: SURFACE,
  modelId: MODEL,
  streaming: false,
  requestId,
  amount: HOLD,
  inputTokens: 0,
  paramsHash: '',
  ttlMs: TTL_MS,
})

const ours = (db: Db): Impl => {
  const ledger = createLedger(db, { defaults: { perRequestCap: null, maxConcurrentStreams: 8 } })
  return {
    name: 'ours',
    async op(workspaceId, requestId) {
      const held = await ledger.hold(holdOf(workspaceId, requestId))
      if (held.kind !== 'placed') throw new Error(`ours: hold ${requestId} was a ${held.kind}`)
      const settled = await ledger.settle({ workspaceId, holdId: held.hold.id, cost: COST, resolution: 'settled' })
      if (settled.status !== 'settled' || settled.charged !== COST)
        throw new Error(`ours: settle ${requestId} gave ${settled.status} ${settled.charged}`)
    },
  }
}

/**
 * The textbook version: each hold and each settle is its own transaction that locks the account row
 * (`SELECT … FOR UPDATE`), decides in JS and writes its row; the same triggers move balance and held. Same Kysely
 * handle and pool as the ledger. No caps, no replays, no overages: the bench needs none of them.
 */
const naive = (db: Db): Impl => {
  const hold = (workspaceId: string, requestId: string) =>
    db.transaction().execute(async (trx) => {
      const account = await trx
        .selectFrom('creditAccounts')
        .select(['balance', 'held'])
        .where('workspaceId', '=', workspaceId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      if (account.balance - account.held < HOLD) throw new Error(`naive: insufficient credits in ${workspaceId}`)
      const id = newId('hold')
      const { ttlMs, ...row } = holdOf(workspaceId, requestId)
      await trx
        .insertInto('creditHolds')
        .values({ id, ...row, expiresAt: new Date(Date.now() + ttlMs) })
        .execute()
      return id
    })
  const settle = (workspaceId: string, holdId: string, cost: bigint) =>
    db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('creditAccounts')
        .select('workspaceId')
        .where('workspaceId', '=', workspaceId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      const h = await trx
        .updateTable('creditHolds')
        .set({ status: 'settled', charged: cost, resolvedAt: sql<Date>`now()` })
        .where('id', '=', holdId)
        .where('workspaceId', '=', workspaceId)
        .where('status', '=', 'pending')
        .returning(['requestId', 'amount'])
        .executeTakeFirst()
      if (!h) throw new Error(`naive: hold ${holdId} is not pending`)
      if (cost > h.amount) throw new Error('naive: a cost above the hold needs an overage entry, not implemented here')
      await trx
        .insertInto('creditEntries')
        .values({
          id: newId('ent'),
          workspaceId,
          kind: 'debit',
          amount: -cost,
          requestId: h.requestId,
          holdId,
          clientId: null,
          userId: null,
          modelId: MODEL,
          surface: SURFACE,
        })
        .execute()
    })
  return {
    name: 'naive',
    async op(workspaceId, requestId) {
      const holdId = await hold(workspaceId, requestId)
      await settle(workspaceId, holdId, COST)
    },
  }
}

type Loop = { ops: number; latencies: number[]; errors: number; firstError?: unknown; wallMs: number }

/** CONCURRENCY clients, each looping "hold then settle" until the deadline; operations in flight at the deadline finish. */
const loop = async (impl: Impl, pick: () => string, prefix: string, seconds: number): Promise<Loop> => {
  const latencies: number[] = []
  let errors = 0
  let firstError: unknown
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, client) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const started = performance.now()
        try {
          await impl.op(pick(), `${prefix}-${client}-${n}`)
          latencies.push(performance.now() - started)
        } catch (err) {
          errors++
          firstError ??= err
        }
      }
    }),
  )
  return { ops: latencies.length, latencies, errors, firstError, wallMs: performance.now() - t0 }
}

type Run = {
  opsPerSecond: number
  p50: number
  p99: number
  mean: number
  ops: number
  errors: number
  /**
   * From the rows written, which carry their transaction's start time (`now()`): transactions per operation, holds and
   * debits per transaction. Two transactions that start in the same microsecond count once (hence 1.999 at times).
   */
  transactionsPerOp: number
  holdsPerHoldTransaction: number
  debitsPerDebitTransaction: number
  cpuMsPerOp: { node: number; postgres?: number }
  /** % of one core during the measured run; `other` is whatever else the machine was running. */
  cpuPercentOfOneCore: { machineBusy?: number; node: number; postgres?: number; other?: number }
}

const measure = async (
  db: Db,
  impl: Impl,
  scenario: string,
  workspaceIds: string[],
): Promise<Run & { warmupOps: number }> => {
  const pick =
    workspaceIds.length === 1
      ? () => workspaceIds[0]!
      : () => workspaceIds[Math.floor(Math.random() * workspaceIds.length)]!
  const prefix = `${scenario}-${impl.name}`
  // Each run starts from fresh statistics taken before its load, as in production where ANALYZE ran before a workspace
  // got busy (and stays stale here for the whole run when the server's autovacuum is off: see `autovacuum` in the result).
  await sql`VACUUM ANALYZE credit_accounts, credit_holds, credit_entries`.execute(db)
  const warm = await loop(impl, pick, `${prefix}-w`, WARMUP)
  if (warm.errors) throw new Error(`${prefix} warm-up: ${warm.errors} errors, first: ${String(warm.firstError)}`)
  const before = { pg: postgresMs(), machine: machineMs(), self: process.cpuUsage() }
  const r = await loop(impl, pick, `${prefix}-m`, DURATION)
  const self = process.cpuUsage(before.self)
  const after = { pg: postgresMs(), machine: machineMs() }
  if (r.errors) throw new Error(`${prefix}: ${r.errors} errors, first: ${String(r.firstError)}`)

  const [tx] = (
    await sql<{ holds: string; holdTx: string; debits: string; debitTx: string; allTx: string }>`
    WITH h AS (SELECT workspace_id, created_at FROM credit_holds WHERE request_id LIKE ${`${prefix}-m-%`}),
         d AS (SELECT workspace_id, created_at FROM credit_entries WHERE kind = 'debit' AND request_id LIKE ${`${prefix}-m-%`})
    SELECT (SELECT count(*) FROM h)::text AS holds, (SELECT count(DISTINCT (workspace_id, created_at)) FROM h)::text AS "holdTx",
           (SELECT count(*) FROM d)::text AS debits, (SELECT count(DISTINCT (workspace_id, created_at)) FROM d)::text AS "debitTx",
           (SELECT count(*) FROM (SELECT * FROM h UNION SELECT * FROM d) t)::text AS "allTx"`.execute(db)
  ).rows
  if (Number(tx!.holds) !== r.ops || Number(tx!.debits) !== r.ops)
    throw new Error(`${prefix}: ${r.ops} operations but ${tx!.holds} holds and ${tx!.debits} debits written`)

  const sorted = [...r.latencies].sort((a, b) => a - b)
  const nodeMs = (self.user + self.system) / 1000
  const postgres =
    after.pg && before.pg
      ? [...after.pg].reduce((sum, [pid, ms]) => sum + ms - (before.pg!.get(pid) ?? 0), 0)
      : undefined
  const machineBusy =
    after.machine && before.machine
      ? ((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)) *
        cpus().length *
        r.wallMs
      : undefined
  const share = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((100 * ms) / r.wallMs))
  const run = {
    opsPerSecond: Math.round(r.ops / (r.wallMs / 1000)),
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    mean: +(sorted.reduce((a, b) => a + b, 0) / sorted.length).toFixed(2),
    ops: r.ops,
    errors: r.errors,
    warmupOps: warm.ops,
    transactionsPerOp: +(Number(tx!.allTx) / r.ops).toFixed(3),
    holdsPerHoldTransaction: +(Number(tx!.holds) / Number(tx!.holdTx)).toFixed(2),
    debitsPerDebitTransaction: +(Number(tx!.debits) / Number(tx!.debitTx)).toFixed(2),
    cpuMsPerOp: {
      node: +(nodeMs / r.ops).toFixed(3),
      postgres: postgres === undefined ? undefined : +(postgres / r.ops).toFixed(3),
    },
    cpuPercentOfOneCore: {
      machineBusy: share(machineBusy),
      node: share(nodeMs)!,
      postgres: share(postgres),
      other:
        machineBusy === undefined || postgres === undefined
          ? undefined
          : Math.max(0, share(machineBusy - nodeMs - postgres)!),
    },
  }
  const c = run.cpuPercentOfOneCore
  console.error(
    `${scenario} / ${impl.name}: ${run.opsPerSecond} ops/s, p50 ${run.p50} ms, p99 ${run.p99} ms (${run.ops} ops); ` +
      `${run.transactionsPerOp} transactions/op, ${run.holdsPerHoldTransaction} holds and ${run.debitsPerDebitTransaction} debits per transaction; ` +
      `CPU % of a core: node ${c.node}, postgres ${c.postgres}, other ${c.other}`,
  )
  await sleep(500)
  return run
}

/** The ledger's invariants over every account in the database; each figure must be 0. */
const checkInvariants = async (db: Db) => {
  const [row] = (
    await sql<Record<string, string>>`
    WITH e AS (SELECT workspace_id, sum(amount) AS total FROM credit_entries GROUP BY workspace_id),
         h AS (SELECT workspace_id, coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0) AS pending,
                      count(*) FILTER (WHERE status = 'pending') AS n FROM credit_holds GROUP BY workspace_id)
    SELECT
      count(*) FILTER (WHERE a.balance <> coalesce(e.total, 0))::text AS "balanceNotSumOfEntries",
      count(*) FILTER (WHERE a.held <> coalesce(h.pending, 0))::text AS "heldNotSumOfPendingHolds",
      count(*) FILTER (WHERE a.balance - a.held < 0)::text AS "negativeAvailable",
      coalesce(sum(h.n), 0)::text AS "pendingHolds",
      (SELECT count(*) FROM (SELECT 1 FROM credit_entries WHERE kind = 'debit'
        GROUP BY workspace_id, request_id HAVING count(*) > 1) x)::text AS "duplicateDebits",
      (SELECT count(*) FROM credit_holds ch LEFT JOIN credit_entries ce ON ce.hold_id = ch.id AND ce.kind = 'debit'
        WHERE ch.status <> 'pending' AND (ce.id IS NULL OR ce.amount <> -ch.charged))::text AS "resolvedHoldsWithoutTheirDebit"
    FROM credit_accounts a LEFT JOIN e USING (workspace_id) LEFT JOIN h USING (workspace_id)`.execute(db)
  ).rows
  const [counts] = (
    await sql<{ accounts: string; holds: string; debits: string }>`
    SELECT (SELECT count(*) FROM credit_accounts)::text AS accounts, (SELECT count(*) FROM credit_holds)::text AS holds,
           (SELECT count(*) FROM credit_entries WHERE kind = 'debit')::text AS debits`.execute(db)
  ).rows
  const broken = Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]))
  const ok = Object.values(broken).every((n) => n === 0)
  console.error(
    `invariants over ${counts!.accounts} accounts, ${counts!.holds} holds, ${counts!.debits} debits: ${ok ? 'ok' : 'BROKEN'} ${JSON.stringify(broken)}`,
  )
  return {
    ok,
    broken,
    accounts: Number(counts!.accounts),
    holds: Number(counts!.holds),
    debits: Number(counts!.debits),
  }
}

/**
 * One call at a time (the lone `/v1` call's view of the ledger): the hold's and the settle's time as the caller sees
 * it, back to back and with IDLE_MS of nothing between them (as while the upstream answers), next to a bare `SELECT 1`
 * round trip in the same two rhythms. What an idle pause adds to each statement is the machine's, not the ledger's:
 * the round trip pays it too.
 */
const lone = async (db: Db, workspaceId: string) => {
  const ledger = createLedger(db, { defaults: { perRequestCap: null, maxConcurrentStreams: 8 } })
  const client = new pg.Client({ connectionString: dbUrl.toString() })
  await client.connect()
  const p50 = (xs: number[]) =>
    pct(
      [...xs].sort((a, b) => a - b),
      50,
    )
  const timed = async (run: () => Promise<unknown>) => {
    const t0 = performance.now()
    await run()
    return performance.now() - t0
  }
  const rhythm = async (idleMs: number) => {
    const hold: number[] = []
    const settle: number[] = []
    const roundTrip: number[] = []
    for (let i = 0; i < LONE_CALLS + 20; i++) {
      const requestId = `lone-${idleMs}-${i}`
      let holdId = ''
      const h = await timed(async () => {
        holdId = (await ledger.hold(holdOf(workspaceId, requestId))).hold.id
      })
      if (idleMs) await sleep(idleMs)
      const st = await timed(() => ledger.settle({ workspaceId, holdId, cost: COST, resolution: 'settled' }))
      if (idleMs) await sleep(idleMs)
      const rt = await timed(() => client.query('SELECT 1'))
      if (i >= 20) {
        hold.push(h)
        settle.push(st)
        roundTrip.push(rt)
      }
    }
    return { idleMs, holdP50: p50(hold), settleP50: p50(settle), roundTripP50: p50(roundTrip) }
  }
  try {
    return [await rhythm(0), await rhythm(IDLE_MS)]
  } finally {
    await client.end()
  }
}

const dbName = `camarad_bench_ledger_${randomBytes(6).toString('hex')}`
const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`CREATE DATABASE ${dbName}`)
const dbUrl = new URL(ADMIN_URL)
dbUrl.pathname = `/${dbName}`

let failed = false
const database = await createDatabase<DB>({ databaseUrl: dbUrl.toString(), poolSize: POOL_SIZE })
try {
  const { db } = database
  await migrateToLatest(db)

  // A hot workspace and WORKSPACES spread ones for each implementation, so that neither run sees the other's rows
  // on its accounts; each account starts with a grant large enough for any run.
  const granter = createLedger(db, { defaults: { perRequestCap: null, maxConcurrentStreams: 8 } })
  const make = (n: number, label: string) =>
    Array.from({ length: n }, (_, i) => ({ id: newId('ws'), name: `${label} ${i}` }))
  const sets = {
    hot: { ours: make(1, 'hot ours'), naive: make(1, 'hot naive') },
    spread: { ours: make(WORKSPACES, 'spread ours'), naive: make(WORKSPACES, 'spread naive') },
  }
  const all = [sets.hot.ours, sets.hot.naive, sets.spread.ours, sets.spread.naive].flat()
  for (let i = 0; i < all.length; i += 500)
    await db
      .insertInto('workspaces')
      .values(all.slice(i, i + 500))
      .execute()
  for (let i = 0; i < all.length; i += POOL_SIZE) {
    await Promise.all(
      all.slice(i, i + POOL_SIZE).map((w) =>
        granter.post(db, {
          workspaceId: w.id,
          kind: 'grant',
          amount: GRANT,
          requestId: `bench-grant:${w.id}`,
          reason: 'bench',
        }),
      ),
    )
  }

  const impls = { ours: ours(db), naive: naive(db) }
  const scenario = async (name: 'hot' | 'spread') => {
    const ids = { ours: sets[name].ours.map((w) => w.id), naive: sets[name].naive.map((w) => w.id) }
    // The naive run first: rows written by earlier runs (larger tables and indexes) weigh on ours, not the baseline.
    const naiveRun = await measure(db, impls.naive, name, ids.naive)
    const oursRun = await measure(db, impls.ours, name, ids.ours)
    const invariants = await checkInvariants(db)
    if (!invariants.ok) failed = true
    return {
      workspaces: ids.ours.length,
      ours: oursRun,
      naive: naiveRun,
      ratio: +(oursRun.opsPerSecond / naiveRun.opsPerSecond).toFixed(2),
      invariants,
    }
  }
  const hot = await scenario('hot')
  const spread = await scenario('spread')
  const loneCalls = await lone(db, sets.spread.ours[0]!.id)

  const result = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    postgres: (await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(db)).rows[0]?.v,
    autovacuum: (await sql<{ v: string }>`SELECT current_setting('autovacuum') AS v`.execute(db)).rows[0]?.v,
    durationSeconds: DURATION,
    warmupSeconds: WARMUP,
    concurrency: CONCURRENCY,
    poolSize: POOL_SIZE,
    hold: HOLD.toString(),
    cost: COST.toString(),
    hot,
    spread,
    /** One call at a time: hold and settle p50 (ms) as the caller sees them, and a bare round trip, without and with idle time. */
    loneCalls,
    target: { hotRatio: TARGET_HOT_RATIO, met: hot.ratio >= TARGET_HOT_RATIO },
    /** The most CPU that processes outside this bench and outside PostgreSQL took during a measured run, % of one core. */
    otherLoadPercentOfOneCore: Math.max(
      ...[hot.ours, hot.naive, spread.ours, spread.naive].map((r) => r.cpuPercentOfOneCore.other ?? 0),
    ),
  }
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/ledger.json', JSON.stringify(result, null, 2) + '\n')

  const day = result.date.slice(0, 10)
  const cell = (r: Run) => `${r.opsPerSecond} ops/s, p50 ${r.p50} ms, p99 ${r.p99} ms`
  console.log(
    [
      '| date | scenario | naive row lock | ours (batched) | ratio |',
      '| --- | --- | --- | --- | --- |',
      `| ${day} | hot: 1 workspace, ${CONCURRENCY} clients | ${cell(hot.naive)} | ${cell(hot.ours)} | **${hot.ratio}×** |`,
      `| ${day} | spread: ${WORKSPACES} workspaces, ${CONCURRENCY} clients | ${cell(spread.naive)} | ${cell(spread.ours)} | **${spread.ratio}×** |`,
    ].join('\n'),
  )
  console.log(
    `Target: hot workspace ≥ ${TARGET_HOT_RATIO}× the naive one at ${CONCURRENCY} clients: ${result.target.met ? 'met' : 'not met'} (${hot.ratio}×).`,
  )
  for (const r of loneCalls)
    console.log(
      `One call at a time, ${r.idleMs ? `${r.idleMs} ms idle between statements` : 'back to back'}: hold p50 ` +
        `${r.holdP50} ms, settle p50 ${r.settleP50} ms; a bare SELECT 1 round trip p50 ${r.roundTripP50} ms.`,
    )
  console.log(`Invariants: ${hot.invariants.ok && spread.invariants.ok ? 'ok' : 'BROKEN'}.`)
  if (result.otherLoadPercentOfOneCore > 20)
    console.log(
      `Warning: other processes on this machine used up to ${result.otherLoadPercentOfOneCore} % of a core during the measured runs; the figures are noisy.`,
    )
  const brief = (r: Run) => ({
    opsPerSecond: r.opsPerSecond,
    p50: r.p50,
    p99: r.p99,
    transactionsPerOp: r.transactionsPerOp,
  })
  console.log(
    JSON.stringify({
      bench: 'ledger',
      date: result.date,
      commit: result.commit,
      cpus: cpus().length,
      seconds: DURATION,
      concurrency: CONCURRENCY,
      poolSize: POOL_SIZE,
      hot: { ours: brief(hot.ours), naive: brief(hot.naive), ratio: hot.ratio },
      spread: { workspaces: WORKSPACES, ours: brief(spread.ours), naive: brief(spread.naive), ratio: spread.ratio },
      targetHotRatio: TARGET_HOT_RATIO,
      targetMet: result.target.met,
      otherLoadPercentOfOneCore: result.otherLoadPercentOfOneCore,
      loneCalls,
      invariantsOk: hot.invariants.ok && spread.invariants.ok,
    }),
  )
} catch (err) {
  failed = true
  console.error(err)
} finally {
  await database.close()
  await sleep(500) // pg's pool resolves end() before its backends have gone
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  await admin.end()
}
if (failed) process.exitCode = 1
