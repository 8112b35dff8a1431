import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import pg from 'pg'
import { loadConfig } from '../src/config.ts'
import { createContainer } from '../src/container.ts'
import { newId } from '../src/platform/db/ids.ts'
import { createMemoryBus } from '../src/platform/realtime/bus.ts'
import type { FeedMessage, LoggedEvent } from '../src/platform/runs/run-log.ts'
import { createRuns } from '../src/platform/runs/runs.ts'
import { gitCommit, pct } from './measure.ts'

/**
 * bench/fanout: a writer process appends events to RUNS runs; a follower process (this one) follows every run, as the
 * SSE streamer does, and measures the delivery lag writer → follower (the writer stamps each event with its clock;
 * same machine) and the database's transactions per second (pg_stat_database.xact_commit) while the streams are open.
 * Two modes, same load:
 * - `poll` (before): the old streamer — each stream reads `run_events` after its last seq every 500 ms — and the old
 *   writer-side watch — each running run reads its status every second (every fifth a heartbeat write);
 * - `bus` (after): the run layer — followers get events through PostgreSQL LISTEN/NOTIFY and read the table only on
 *   a gap; the writer beats every 5 s and hears cancels on the bus.
 * PostgreSQL on loopback only. `node bench/fanout.bench.ts` (npm run bench:fanout).
 */
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const RUNS = Number(process.env.BENCH_STREAMS ?? 200)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
/**
 * Before measuring: PostgreSQL flushes an idle backend's statistics up to 10 s late, so the set-up's transactions
 * (200 runs, the followers' first reads) would otherwise land in the window.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 11)
/** Each run gets one event this often (RUNS / EVERY_MS × 1000 events per second in all). */
const EVERY_MS = Number(process.env.BENCH_EVENT_EVERY_MS ?? 500)
const POLL_MS = 500
const STATUS_POLL_MS = 1000

const configFor = (databaseUrl: string) =>
  loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    RUN_WORKER: 'false',
    PUBLIC_URL: 'http://127.0.0.1',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop',
    WEB_DIST_DIR: './.tmp/no-web',
    PLANS_FILE: 'test/fixtures/plans-unlimited.json',
    DATABASE_URL: databaseUrl,
  })

/** The writer process: `node bench/fanout.bench.ts writer <databaseUrl> <mode> <runIds,…>`. */
const writer = async (databaseUrl: string, mode: 'poll' | 'bus', runIds: string[]) => {
  const container = await createContainer(configFor(databaseUrl), { migrate: false, supervise: false })
  const { db } = container
  // The old writer published in its own process only: no NOTIFY in `poll` mode.
  const runs = mode === 'bus' ? container.runs : createRuns({ db, bus: createMemoryBus() })
  const pollers: NodeJS.Timeout[] = []
  const stops: (() => void)[] = []
  for (const id of runIds) {
    let n = 0
    runs.start<{ type: string; t?: number; n?: number }>(id, async ({ log, abort }) => {
      // Events at jittered times (0.5–1.5 × EVERY_MS apart), so the followers' polls meet them at every phase.
      let tick: NodeJS.Timeout
      const next = () => {
        tick = setTimeout(
          () => {
            log.push({ type: 'tick', t: Date.now(), n: ++n })
            next()
          },
          EVERY_MS * (0.5 + Math.random()),
        )
      }
      next()
      // The old writer-side watch: a status read per run every second, every fifth being the heartbeat (which the
      // run layer writes every 5 s in both modes).
      let polls = 0
      if (mode === 'poll')
        pollers.push(
          setInterval(() => {
            if (++polls % 5) void db.selectFrom('runs').select('status').where('id', '=', id).executeTakeFirst()
          }, STATUS_POLL_MS),
        )
      await new Promise<void>((ok) => stops.push(ok))
      clearTimeout(tick!)
      abort.abort()
      log.push({ type: 'done' })
      await log.flush()
    })
  }
  process.stdout.write('ready\n')
  process.stdin.once('data', () => {
    for (const p of pollers) clearInterval(p)
    for (const stop of stops) stop()
    void runs.drain(5000).then(async () => {
      await container.close()
      process.exit(0)
    })
  })
}

const xactCommit = async (client: pg.Client, database: string) =>
  Number(
    (await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [database])).rows[0].xact_commit,
  )

const measure = async (mode: 'poll' | 'bus') => {
  const database = `camarad_bench_fanout_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).toString()
  const container = await createContainer(configFor(databaseUrl), { supervise: false })
  const { db, runs } = container
  const workspaceId = newId('ws')
  await db.insertInto('workspaces').values({ id: workspaceId, name: 'bench' }).execute()
  const runIds = Array.from({ length: RUNS }, () => newId('run'))
  for (const id of runIds) await runs.insert(db, { id, kind: 'bench', workspaceId, subjectId: id })

  // The followers: one per run, from seq 0, in this process.
  const lags: number[] = []
  let reads = 0
  let delivered = 0
  const unsubscribes: (() => void)[] = []
  const timers: NodeJS.Timeout[] = []
  const follow = async (runId: string) => {
    let last = 0
    const take = (rows: LoggedEvent[]) => {
      const now = Date.now()
      for (const r of rows) {
        if (r.seq <= last) continue
        last = r.seq
        delivered++
        if (typeof r.data.t === 'number') lags.push(now - r.data.t)
      }
    }
    const read = async () => {
      reads++
      take(await runs.feed.after(runId, last))
    }
    if (mode === 'poll') {
      timers.push(setInterval(() => void read(), POLL_MS))
      return
    }
    unsubscribes.push(
      await runs.feed.subscribe(
        runId,
        (m: FeedMessage) => {
          if ('rows' in m && m.rows[0] && m.rows[0].seq <= last + 1) take(m.rows)
          else void read()
        },
        () => void read(),
      ),
    )
    await read()
  }
  for (const id of runIds) await follow(id)

  const child = spawn(process.execPath, ['bench/fanout.bench.ts', 'writer', databaseUrl, mode, runIds.join(',')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  await new Promise<void>((ok) => child.stdout!.once('data', () => ok()))
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000))
  lags.length = 0
  delivered = 0
  reads = 0
  const before = await xactCommit(admin, database)
  const started = Date.now()
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const elapsed = (Date.now() - started) / 1000
  const after = await xactCommit(admin, database)
  const sorted = [...lags].sort((a, b) => a - b)
  const result = {
    mode,
    streams: RUNS,
    eventsPerSecond: +(delivered / elapsed).toFixed(0),
    lagMs: { p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted.at(-1) },
    databaseTransactionsPerSecond: +((after - before) / elapsed).toFixed(0),
    followerReadsPerSecond: +(reads / elapsed).toFixed(1),
  }
  child.stdin!.write('stop\n')
  await new Promise((ok) => child.once('exit', ok))
  for (const t of timers) clearInterval(t)
  for (const u of unsubscribes) u()
  await container.close()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
  return result
}

if (process.argv[2] === 'writer') {
  await writer(process.argv[3]!, process.argv[4] as 'poll' | 'bus', process.argv[5]!.split(','))
} else {
  const results = [await measure('poll'), await measure('bus')]
  const out = {
    date: new Date().toISOString().slice(0, 10),
    commit: gitCommit(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    node: process.version,
    seconds: SECONDS,
    eventEveryMs: EVERY_MS,
    results,
  }
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/fanout.json', JSON.stringify(out, null, 2))
  console.log(JSON.stringify(out, null, 2))
  process.exit(0)
}
