import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { cpuMs, gitCommit, machineMs, pct } from '../measure.ts'

/**
 * bench/flows: a three-node flow (webhook → set → if) called over HTTP, the answer sent when the execution has
 * completed, at 1, 8 and 32 concurrent callers. Reports executions per second and p50/p99 latency from sending the
 * webhook request to receiving its answer (= the execution completed and saved).
 *
 * Targets are started one after the other in the same run, on the same machine, and loaded the same way. Today:
 * n8n 1.123.5 (installed by this script from npm, regular mode, SQLite), then Camarad (`node src/main.ts` on a fresh
 * PostgreSQL database, the same flow published through its API, every step checkpointed).
 */
const N8N_VERSION = '1.123.5'
const QUICK = process.argv.includes('--quick')
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10))
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? (QUICK ? 1 : 3))
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number)
/** Where n8n is installed; kept between runs (the first install takes minutes). */
const N8N_DIR = process.env.BENCH_N8N_DIR ?? join(tmpdir(), 'camarad-bench-n8n', N8N_VERSION)
/**
 * 0 = n8n 1.123's default, its legacy single-connection SQLite driver (deprecated by n8n); > 0 = its pooled driver
 * (WAL journal, that many read connections), which n8n recommends and which is faster here: n8n at its best.
 */
const N8N_SQLITE_POOL_SIZE = process.env.BENCH_N8N_SQLITE_POOL_SIZE ?? '4'
/** `true` also saves the execution after every node (n8n's closest setting to a checkpoint per step). */
const N8N_SAVE_PROGRESS = process.env.BENCH_N8N_SAVE_PROGRESS === 'true'

/** The request every target receives: the flow computes total = a + b = 11, so the IF takes its `true` branch. */
const BODY = { a: 4, b: 7 }
const EXPECTED_TOTAL = 11

/**
 * A running target: `url` accepts `POST` with the JSON body `{ a, b }` and answers 2xx once the whole flow
 * (webhook → set `total = a + b` → if `total > 10`) has completed and been saved; the answer is JSON and carries
 * `total: 11` (at any depth). `stop()` ends every process the target started and deletes its temporary data.
 */
interface Running {
  url: string
  headers?: Record<string, string>
  /** CPU time (ms) used so far by the target's processes (its database's too, when it has one); undefined if unknown. */
  cpu?: () => number | undefined
  /** The same CPU time split by part (e.g. server, sandbox, database), when the target tells them apart. */
  cpuParts?: () => Record<string, number>
  /** How many executions the target has saved as completed so far; checked against the answers received. */
  savedExecutions?: () => Promise<number>
  stop(): Promise<void>
}
interface Target {
  name: string
  start(): Promise<Running>
}

// ---------------------------------------------------------------------------------------------------------------
// Load

interface Measured {
  executions: number
  errors: number
  perSecond: number
  p50: number
  p99: number
  seconds: number
  /** CPU time of the target's processes per completed execution, ms. */
  cpuMsPerExecution?: number
  /** The same, by part of the target (`Running.cpuParts`). */
  cpuMsPerExecutionByPart?: Record<string, number>
  /** CPU used meanwhile by everything else on the machine (not the target, not this process), % of one core. */
  otherPercent?: number
  firstError?: string
}

/**
 * Closed loop: `concurrency` callers each send a request, wait for the full answer, and send the next, until
 * `durationMs` has passed. Latency is measured per request (send → last byte of the answer); a non-2xx answer or
 * a failed request counts as an error and not as an execution.
 */
const measure = async (
  target: { name: string; url: string; body: unknown; headers?: Record<string, string> },
  concurrency: number,
  durationMs: number,
  targetCpu: () => number | undefined = () => undefined,
  targetParts: () => Record<string, number> = () => ({}),
): Promise<Measured> => {
  const body = JSON.stringify(target.body)
  const headers = { 'content-type': 'application/json', ...target.headers }
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  const before = { target: targetCpu(), parts: targetParts(), machine: machineMs(), self: process.cpuUsage() }
  const started = performance.now()
  const deadline = started + durationMs
  const caller = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now()
      try {
        const res = await fetch(target.url, { method: 'POST', headers, body })
        const text = await res.text()
        if (res.ok) latencies.push(performance.now() - sent)
        else {
          errors++
          firstError ??= `${res.status} ${text.slice(0, 200)}`
        }
      } catch (error) {
        errors++
        firstError ??= String((error as Error).cause ?? error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, caller))
  const seconds = (performance.now() - started) / 1000
  const after = { target: targetCpu(), parts: targetParts(), machine: machineMs(), self: process.cpuUsage(before.self) }
  const target_ = before.target === undefined || after.target === undefined ? undefined : after.target - before.target
  const machineBusy = before.machine && after.machine ? after.machine.busy - before.machine.busy : undefined
  const self = (after.self.user + after.self.system) / 1000
  latencies.sort((a, b) => a - b)
  return {
    executions: latencies.length,
    errors,
    perSecond: +(latencies.length / seconds).toFixed(1),
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    seconds: +seconds.toFixed(2),
    cpuMsPerExecution:
      target_ === undefined || latencies.length === 0 ? undefined : +(target_ / latencies.length).toFixed(2),
    ...(Object.keys(after.parts).length && latencies.length
      ? {
          cpuMsPerExecutionByPart: Object.fromEntries(
            Object.entries(after.parts).map(([k, v]) => [
              k,
              +((v - (before.parts[k] ?? 0)) / latencies.length).toFixed(2),
            ]),
          ),
        }
      : {}),
    otherPercent:
      target_ === undefined || machineBusy === undefined
        ? undefined
        : Math.max(0, Math.round(((machineBusy - target_ - self) / (seconds * 1000)) * 100)),
    ...(firstError ? { firstError } : {}),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer().once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })

/** Runs a command to its end; its output goes to ours when `inherit`, else is kept and shown on failure. */
const run = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; inherit?: boolean }) =>
  new Promise<void>((ok, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)))
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)))
    child.once('error', fail)
    child.once('exit', (code, signal) =>
      code === 0 ? ok() : fail(new Error(`${command} ${args.join(' ')} → ${code ?? signal}\n${output}`)),
    )
  })

/** Finds `total` anywhere in a JSON answer. */
const findTotal = (value: unknown): unknown => {
  if (value === null || typeof value !== 'object') return undefined
  if ('total' in value) return (value as { total: unknown }).total
  for (const v of Object.values(value)) {
    const found = findTotal(v)
    if (found !== undefined) return found
  }
  return undefined
}

/** Sends one request and checks that the answer is the flow's completed output; retries while it is not yet live. */
const verify = async (name: string, running: Running, timeoutMs = 60_000) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    let last: string
    try {
      const res = await fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...running.headers },
        body: JSON.stringify(BODY),
      })
      const text = await res.text()
      if (res.ok) {
        const total = findTotal(JSON.parse(text))
        if (total !== EXPECTED_TOTAL) throw new Error(`${name}: the answer does not carry total = 11: ${text}`)
        return text
      }
      last = `${res.status} ${text.slice(0, 300)}`
    } catch (error) {
      if (error instanceof SyntaxError || (error as Error).message.includes('does not carry')) throw error
      last = String(error)
    }
    if (Date.now() > until) throw new Error(`${name}: the flow did not answer in ${timeoutMs} ms: ${last}`)
    await sleep(250)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// n8n

/** Installs n8n (and builds its SQLite driver, which `--ignore-scripts` leaves unbuilt) unless already there. */
const installN8n = async () => {
  const started = Date.now()
  const installed = join(N8N_DIR, 'node_modules', 'n8n', 'package.json')
  const version = existsSync(installed)
    ? (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version
    : ''
  if (version !== N8N_VERSION) {
    mkdirSync(N8N_DIR, { recursive: true })
    writeFileSync(
      join(N8N_DIR, 'package.json'),
      JSON.stringify(
        {
          name: 'camarad-bench-n8n',
          private: true,
          dependencies: { n8n: N8N_VERSION },
          overrides: { xlsx: '0.18.5' },
        },
        null,
        2,
      ),
    )
    console.log(`Installing n8n ${N8N_VERSION} into ${N8N_DIR} (several minutes the first time)…`)
    await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: N8N_DIR,
      inherit: true,
    })
  }
  const sqlite = join(N8N_DIR, 'node_modules', 'sqlite3')
  if (!existsSync(join(sqlite, 'build', 'Release', 'node_sqlite3.node'))) {
    // sqlite3's install script would download a prebuilt binary from GitHub; without scripts (and without a network
    // beyond the npm registry) it is compiled here with node-gyp, against the headers of the Node that runs n8n.
    const nodeDir = process.env.BENCH_NODE_DIR ?? (await nodeHeaders())
    console.log(`Building sqlite3 for n8n with node-gyp (a few minutes; headers from ${nodeDir})…`)
    await run(
      process.execPath,
      [
        join(N8N_DIR, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
        'rebuild',
        `--nodedir=${nodeDir}`,
        `--jobs=${cpus().length}`,
      ],
      { cwd: sqlite },
    )
  }
  return (Date.now() - started) / 1000
}

/** The C headers of this Node, from the npm package of its binary (node-<platform>-<arch>), extracted once. */
const nodeHeaders = async () => {
  const version = process.versions.node
  const dir = join(N8N_DIR, '..', `node-headers-${version}`)
  if (existsSync(join(dir, 'include', 'node', 'common.gypi'))) return dir
  const pack = mkdtempSync(join(tmpdir(), 'camarad-bench-node-'))
  try {
    const name = `node-${process.platform}-${process.arch}@${version}`
    await run('npm', ['pack', name, '--pack-destination', pack, '--loglevel=error'], { cwd: pack })
    mkdirSync(dir, { recursive: true })
    const tgz = join(pack, `node-${process.platform}-${process.arch}-${version}.tgz`)
    await run('tar', ['-xzf', tgz, '-C', dir, '--strip-components=1', 'package/include'], {})
    return dir
  } finally {
    rmSync(pack, { recursive: true, force: true })
  }
}

/** The three-node workflow as n8n's editor saves it: Webhook (POST, answer with the last node) → Set → IF. */
const N8N_WORKFLOW = {
  name: 'bench webhook → set → if',
  active: false,
  settings: { executionOrder: 'v1' },
  nodes: [
    {
      id: '0d5c9a8e-1f3b-4c55-9d6e-000000000001',
      name: 'Webhook',
      type: 'n8n-nodes-base.webhook',
      typeVersion: 2.1,
      position: [0, 0],
      webhookId: '0d5c9a8e-1f3b-4c55-9d6e-00000000b001',
      parameters: { httpMethod: 'POST', path: 'bench', responseMode: 'lastNode', options: {} },
    },
    {
      id: '0d5c9a8e-1f3b-4c55-9d6e-000000000002',
      name: 'Set total',
      type: 'n8n-nodes-base.set',
      typeVersion: 3.4,
      position: [220, 0],
      parameters: {
        mode: 'manual',
        assignments: {
          assignments: [
            {
              id: '0d5c9a8e-1f3b-4c55-9d6e-00000000a001',
              name: 'total',
              value: '={{ $json.body.a + $json.body.b }}',
              type: 'number',
            },
          ],
        },
        options: {},
      },
    },
    {
      id: '0d5c9a8e-1f3b-4c55-9d6e-000000000003',
      name: 'If total > 10',
      type: 'n8n-nodes-base.if',
      typeVersion: 2.2,
      position: [440, 0],
      parameters: {
        conditions: {
          options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
          conditions: [
            {
              id: '0d5c9a8e-1f3b-4c55-9d6e-00000000c001',
              leftValue: '={{ $json.total }}',
              rightValue: 10,
              operator: { type: 'number', operation: 'gt' },
            },
          ],
          combinator: 'and',
        },
        options: {},
      },
    },
  ],
  connections: {
    Webhook: { main: [[{ node: 'Set total', type: 'main', index: 0 }]] },
    'Set total': { main: [[{ node: 'If total > 10', type: 'main', index: 0 }]] },
  },
}

/**
 * Creates and activates the workflow through n8n's REST API, as its editor does: set up the instance owner (which
 * signs in), create the workflow (n8n stores its first version), then activate that version (registers the webhook).
 * `n8n import:workflow` cannot be used for this: it stores no version history, so `update:workflow --active=true`
 * fails on the foreign key of `activeVersionId`.
 */
const createN8nWorkflow = async (base: string) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'browser-id': 'camarad-bench' }
  const call = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) })
    const text = await res.text()
    if (!res.ok) throw new Error(`n8n ${path}: ${res.status} ${text.slice(0, 500)}`)
    const cookie = res.headers.get('set-cookie')?.split(';')[0]
    if (cookie) headers.cookie = cookie
    return (JSON.parse(text) as { data: Record<string, unknown> }).data
  }
  // /healthz answers before the REST routes are mounted: retry the first call while they are not there yet.
  for (let attempt = 0; ; attempt++) {
    try {
      await call('/rest/owner/setup', {
        email: 'bench@example.test',
        firstName: 'Bench',
        lastName: 'Owner',
        password: 'Bench-passw0rd-42',
      })
      break
    } catch (error) {
      if (attempt > 600 || !(error as Error).message.includes(': 404 ')) throw error
      await sleep(250)
    }
  }
  const created = await call('/rest/workflows', N8N_WORKFLOW)
  await call(`/rest/workflows/${String(created.id)}/activate`, { versionId: created.versionId })
  /** Completed executions stored in n8n's database (exact on SQLite), through the executions list of its editor. */
  return async () => {
    const res = await fetch(`${base}/rest/executions?limit=1`, { headers })
    if (!res.ok) throw new Error(`n8n /rest/executions: ${res.status} ${(await res.text()).slice(0, 300)}`)
    return ((await res.json()) as { data: { count: number } }).data.count
  }
}

/** n8n in regular mode on SQLite, in a fresh user folder, listening on 127.0.0.1 only. */
const startN8n = async (): Promise<Running> => {
  const installSeconds = await installN8n()
  if (installSeconds > 5) console.log(`n8n ready in ${installSeconds.toFixed(0)} s`)
  const userFolder = mkdtempSync(join(tmpdir(), 'camarad-bench-n8n-user-'))
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    N8N_USER_FOLDER: userFolder,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PROTOCOL: 'http',
    WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    DB_TYPE: 'sqlite',
    DB_SQLITE_POOL_SIZE: N8N_SQLITE_POOL_SIZE,
    EXECUTIONS_MODE: 'regular',
    EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
    EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
    EXECUTIONS_DATA_SAVE_ON_PROGRESS: String(N8N_SAVE_PROGRESS),
    // Task runners only run Code nodes; this flow has none, so no runner process competes for the cores.
    N8N_RUNNERS_ENABLED: 'false',
    N8N_LOG_LEVEL: 'warn',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_HIRING_BANNER_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_COMMUNITY_PACKAGES_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
    N8N_SECURE_COOKIE: 'false',
    GENERIC_TIMEZONE: 'UTC',
  }
  const n8n = [join(N8N_DIR, 'node_modules', 'n8n', 'bin', 'n8n')]
  const cleanup = () => rmSync(userFolder, { recursive: true, force: true })
  let child: ChildProcess | undefined
  try {
    const tail: string[] = []
    child = spawn(process.execPath, [...n8n, 'start'], {
      env,
      detached: true, // its own process group, so stop() ends whatever it spawned too
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const keep = (d: Buffer) => {
      tail.push(...d.toString().split('\n').filter(Boolean))
      if (tail.length > 40) tail.splice(0, tail.length - 40) // the last 40 lines, shown if n8n fails
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    const exited = new Promise<never>((_, fail) =>
      child!.once('exit', (code) => fail(new Error(`n8n exited with ${code}:\n${tail.join('\n')}`))),
    )
    exited.catch(() => {})
    const base = `http://127.0.0.1:${port}`
    const healthy = (async () => {
      for (let i = 0; i < 600; i++) {
        try {
          if ((await fetch(`${base}/healthz/readiness`)).ok) return
        } catch {
          /* not listening yet */
        }
        await sleep(250)
      }
      throw new Error(`n8n did not answer /healthz/readiness in 150 s:\n${tail.join('\n')}`)
    })()
    await Promise.race([healthy, exited])
    const savedExecutions = await createN8nWorkflow(base)
    const pid = child.pid!
    const process_ = child
    const stop = async () => {
      if (process_.exitCode === null && process_.signalCode === null) {
        const gone = new Promise((ok) => process_.once('exit', ok))
        process.kill(-pid, 'SIGTERM')
        const killed = await Promise.race([gone.then(() => true), sleep(15_000).then(() => false)])
        if (!killed) process.kill(-pid, 'SIGKILL')
        await gone
      }
      cleanup()
    }
    return { url: `${base}/webhook/bench`, cpu: () => cpuMs(pid), savedExecutions, stop }
  } catch (error) {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    cleanup()
    throw error
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Camarad

/** The admin connection: a fresh database is created there for the run and dropped at the end. */
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** Runs of the bench's workspace executing at once; above the 32 callers, so the cap never queues a run. */
const CAMARAD_FLOW_CONCURRENCY = process.env.BENCH_FLOW_CONCURRENCY ?? '64'
/** A directory: when set, the Camarad server runs under `node --cpu-prof` and writes its profile there on exit. */
const CPU_PROF = process.env.BENCH_CPU_PROF

/** The same flow as n8n's: Webhook (answer at completion) → Set `total = body.a + body.b` → Condition `total > 10`. */
const CAMARAD_GRAPH = {
  nodes: [
    {
      id: 'hook',
      type: 'core.webhook',
      name: 'Webhook',
      position: { x: 0, y: 0 },
      config: { respond: 'on-completion' },
    },
    {
      id: 'total',
      type: 'core.set',
      name: 'Set total',
      position: { x: 220, y: 0 },
      config: { fields: { total: { $expr: 'body.a + body.b' } }, keepInput: false },
    },
    {
      id: 'big',
      type: 'core.condition',
      name: 'If total > 10',
      position: { x: 440, y: 0 },
      config: { if: { $expr: 'total > 10' } },
    },
  ],
  edges: [
    { from: 'hook', fromPort: 'out', to: 'total', toPort: 'in' },
    { from: 'total', fromPort: 'out', to: 'big', toPort: 'in' },
  ],
}
const CAMARAD_STEPS = CAMARAD_GRAPH.nodes.length

/** Every process under `root` (itself included), from /proc. */
const processTree = (root: number) => {
  const children = new Map<number, number[]>()
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)])
    } catch {
      /* exited */
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []))
  return tree
}
/** The PostgreSQL backends serving `database` (their process title names it). */
const backendsOf = (database: string) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((p) => {
      try {
        const title = readFileSync(`/proc/${p}/cmdline`, 'utf8')
        return title.startsWith('postgres: ') && title.includes(` ${database} `)
      } catch {
        return false
      }
    })

/**
 * Camarad as `npm start` runs it (`src/main.ts`: API and job worker in one process, RUN_WORKER=true) on a fresh
 * PostgreSQL database, with the throttles lifted; the flow is created, published and given its webhook URL through the
 * API, as the editor does.
 */
const startCamarad = async (): Promise<Running> => {
  const database = `camarad_bench_flows_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).toString()
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let db: pg.Client | undefined
  const drop = async () => {
    await db?.end().catch(() => undefined)
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  }
  try {
    if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true })
    const tail: string[] = []
    child = spawn(process.execPath, [...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []), 'src/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: base,
        DATABASE_URL: databaseUrl,
        REDIS_URL: '',
        RUN_WORKER: 'true',
        LOG_LEVEL: 'warn',
        SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop',
        // The throttles are out of the way; everything a run does (checkpoints, events, the run layer) stays on.
        RATE_LIMIT_PER_MINUTE: '100000000',
        SIGNUP_MAX_PER_IP_PER_HOUR: '100000',
        LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
        FLOW_CONCURRENCY_PER_WORKSPACE: CAMARAD_FLOW_CONCURRENCY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const keep = (d: Buffer) => {
      tail.push(...d.toString().split('\n').filter(Boolean))
      if (tail.length > 40) tail.splice(0, tail.length - 40)
    }
    child.stderr!.on('data', keep)
    await new Promise<void>((ok, fail) => {
      child!.stdout!.on('data', (d: Buffer) => {
        keep(d)
        if (d.toString().includes('Camarad is running')) ok()
      })
      child!.once('exit', (code) => fail(new Error(`Camarad exited with ${code}:\n${tail.join('\n')}`)))
    })

    let cookie = ''
    const api = async (path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          origin: base,
          ...(cookie ? { cookie } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`Camarad ${path}: ${res.status} ${text.slice(0, 500)}`)
      cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie
      return JSON.parse(text) as Record<string, unknown>
    }
    await api('/api/auth/signup', { email: 'bench@example.test', password: 'load test passphrase 42', name: 'Bench' })
    const { client } = (await api('/api/auth/onboarding', { workspaceName: 'Bench Agency', clientName: 'Bench' })) as {
      client: { id: string }
    }
    const asClient = { 'x-client-id': client.id }
    const flow = await api('/api/flows', { name: 'bench webhook → set → if', graph: CAMARAD_GRAPH }, asClient)
    const flowId = String(flow.id)
    await api(`/api/flows/${flowId}/publish`, undefined, asClient)
    const { url } = (await api(`/api/flows/${flowId}/webhook/rotate`, undefined, asClient)) as { url: string }

    db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
    const checkpoints = db
    /** Completed runs of the flow that have every step's checkpoint (a completed row per step); others are reported. */
    const savedExecutions = async () => {
      const { rows } = await checkpoints.query<{ completed: string; checkpointed: string }>(
        `SELECT count(*) AS completed,
           count(*) FILTER (WHERE (SELECT count(*) FROM flow_steps s WHERE s.run_id = r.id AND s.status = 'completed')
             = $2) AS checkpointed
         FROM flow_runs r WHERE r.flow_id = $1 AND r.status = 'completed'`,
        [flowId, CAMARAD_STEPS],
      )
      const { completed, checkpointed } = rows[0]!
      if (completed !== checkpointed)
        console.error(`  Camarad: ${completed} completed runs, only ${checkpointed} with all ${CAMARAD_STEPS} steps`)
      return Number(checkpointed)
    }

    // CPU of the server, its children (the expression sandbox's processes) and the PostgreSQL backends of its
    // database; a process that exits keeps the last reading taken.
    const pid = child.pid!
    const seen = {
      server: new Map<string, number>(),
      sandbox: new Map<string, number>(),
      postgres: new Map<string, number>(),
    }
    const cpuParts = () => {
      const [server, ...sandbox] = processTree(pid).map(String)
      const take = (part: keyof typeof seen, pids: string[]) => {
        for (const p of pids) {
          const ms = cpuMs(p)
          if (ms !== undefined) seen[part].set(p, ms)
        }
        return [...seen[part].values()].reduce((a, b) => a + b, 0)
      }
      return {
        server: take('server', [server!]),
        sandbox: take('sandbox', sandbox),
        postgres: take('postgres', backendsOf(database)),
      }
    }
    const cpu = () => Object.values(cpuParts()).reduce((a, b) => a + b, 0)
    cpu()

    const server = child
    const stop = async () => {
      if (server.exitCode === null && server.signalCode === null) {
        const gone = new Promise((ok) => server.once('exit', ok))
        server.kill('SIGTERM')
        const exited = await Promise.race([gone.then(() => true), sleep(25_000).then(() => false)])
        if (!exited) server.kill('SIGKILL')
        await gone
      }
      await drop()
    }
    return { url, cpu, cpuParts, savedExecutions, stop }
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    await drop().catch(() => undefined)
    throw error
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Targets: each is started, verified, loaded at every concurrency level and stopped before the next one starts.
// BENCH_TARGETS=camarad (or n8n) runs one of them only.

const TARGETS: Target[] = [
  { name: `n8n ${N8N_VERSION}`, start: startN8n },
  { name: 'Camarad', start: startCamarad },
].filter(
  (t) =>
    !process.env.BENCH_TARGETS || process.env.BENCH_TARGETS.split(',').some((n) => t.name.toLowerCase().startsWith(n)),
)

// ---------------------------------------------------------------------------------------------------------------

const cpu = cpus()
const machine = {
  cpus: cpu.length,
  model: cpu[0]?.model ?? '?',
  node: process.version,
  commit: gitCommit(),
}
console.log(
  `Machine: ${machine.cpus} × ${machine.model}, Node ${machine.node}. ${SECONDS} s per level after ${WARMUP_SECONDS} s ` +
    `of warm-up, concurrency ${CONCURRENCY.join('/')}; n8n SQLite pool ${N8N_SQLITE_POOL_SIZE}` +
    `${N8N_SAVE_PROGRESS ? ', saving after every node' : ''}.`,
)

const rows: ({ target: string; concurrency: number } & Measured)[] = []
const parts = (m: Measured) =>
  m.cpuMsPerExecutionByPart
    ? ` (${Object.entries(m.cpuMsPerExecutionByPart)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`
    : ''
const saves: { target: string; answered: number; saved: number }[] = []
for (const target of TARGETS) {
  console.log(`Starting ${target.name}…`)
  const running = await target.start()
  try {
    console.log(`${target.name} answers: ${await verify(target.name, running)}`)
    let answered = 1
    const load = { name: target.name, url: running.url, body: BODY, headers: running.headers }
    for (const concurrency of CONCURRENCY) {
      answered += (await measure(load, concurrency, WARMUP_SECONDS * 1000)).executions
      const m = await measure(load, concurrency, SECONDS * 1000, running.cpu, running.cpuParts)
      answered += m.executions
      rows.push({ target: target.name, concurrency, ...m })
      console.log(
        `  ${target.name} × ${concurrency}: ${m.perSecond} exec/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.errors} errors, ` +
          `${m.cpuMsPerExecution ?? '?'} ms CPU/exec${parts(m)}, other load ${m.otherPercent ?? '?'} % of a core` +
          `${m.firstError ? ` (first: ${m.firstError})` : ''}`,
      )
    }
    if (running.savedExecutions) {
      // Every answered request must be a saved execution; the last rows may land just after their answers.
      let saved = await running.savedExecutions()
      for (let i = 0; i < 40 && saved < answered; i++) {
        await sleep(250)
        saved = await running.savedExecutions()
      }
      saves.push({ target: target.name, answered, saved })
      console.log(`  ${target.name}: ${answered} answered requests, ${saved} executions saved`)
    }
  } finally {
    await running.stop()
  }
}

console.log('')
console.log('| target | concurrency | exec/s | p50 ms | p99 ms | errors | CPU ms/exec | other load, % of a core |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const r of rows)
  console.log(
    `| ${r.target} | ${r.concurrency} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${r.errors} | ` +
      `${r.cpuMsPerExecution ?? '?'} | ${r.otherPercent ?? '?'} |`,
  )
console.log(`\nMachine: ${machine.cpus} × ${machine.model}, Node ${machine.node}`)

mkdirSync('bench/results', { recursive: true })
writeFileSync(
  'bench/results/flows.json',
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      n8n: { version: N8N_VERSION, sqlitePoolSize: N8N_SQLITE_POOL_SIZE, saveProgress: N8N_SAVE_PROGRESS },
      rows,
      saves,
    },
    null,
    2,
  ),
)
if (rows.some((r) => r.errors > 0)) process.exitCode = 1
for (const s of saves.filter((s) => s.saved < s.answered)) {
  console.error(`${s.target} saved ${s.saved} executions for ${s.answered} answered requests`)
  process.exitCode = 1
}
