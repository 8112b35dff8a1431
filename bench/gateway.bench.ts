import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { cpuMs, gitCommit, machineMs, pct, postgresMs } from './measure.ts'
import pg from 'pg'

/**
 * bench/gateway: Camarad's OpenAI-compatible `POST /v1/chat/completions` (Bearer `cmr_` token, attribution,
 * usage row in PostgreSQL, AI SDK call to the upstream) against the same upstream (bench/fake-upstream.ts)
 * called directly, in the same run, non-streaming and streaming. Reports requests/s, p50/p99 latency and the
 * latency Camarad adds (target: added p50 ≤ 3 ms at 64 connections with full metering: every call estimated, held
 * and settled in the credit ledger), plus the added time to first byte and to
 * first token of a stream measured with sequential `fetch` calls.
 */
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP = 3
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64)
const TTFB_REQUESTS = Number(process.env.BENCH_TTFB_REQUESTS ?? 200)
const TTFT_MS = Number(process.env.TTFT_MS ?? 20)
const TOKENS = Number(process.env.TOKENS ?? 50)
const TOKEN_INTERVAL_MS = Number(process.env.TOKEN_INTERVAL_MS ?? 0)
/** Streams opened at once in the concurrent-streams phase, each paced at STREAM_INTERVAL_MS a chunk (≈ 4 s long). */
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000)
const STREAM_INTERVAL_MS = 80
/** A directory: when set, Camarad runs under `node --cpu-prof` and writes its profile there on exit. */
const CPU_PROF = process.env.BENCH_CPU_PROF
/** Every call is metered (estimate → hold → settle in the credit ledger): the target with full metering. */
const TARGET_ADDED_P50_MS = 3
const INTERNAL_TOKEN = 'bench-operator-token-0123456789-abcdef'
/** The peer: Portkey's open-source gateway (no auth, no metering, no persistence), installed here from npm. */
const PORTKEY_VERSION = '1.15.2'
const PORTKEY_DIR = 'bench/.portkey'
const PORTKEY_MAIN = `${PORTKEY_DIR}/node_modules/@portkey-ai/gateway/build/start-server.js`

/** Installs Portkey into bench/.portkey (not committed) once; run on the same Node as Camarad. */
const ensurePortkey = () => {
  const pkg = `${PORTKEY_DIR}/node_modules/@portkey-ai/gateway/package.json`
  if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version === PORTKEY_VERSION)
    return
  mkdirSync(PORTKEY_DIR, { recursive: true })
  writeFileSync(`${PORTKEY_DIR}/package.json`, JSON.stringify({ private: true, name: 'portkey-bench' }) + '\n')
  const r = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', `@portkey-ai/gateway@${PORTKEY_VERSION}`],
    { cwd: PORTKEY_DIR, stdio: 'inherit' },
  )
  if (r.status !== 0) throw new Error(`npm install @portkey-ai/gateway@${PORTKEY_VERSION} failed`)
}

const EXPECTED_TEXT = Array.from({ length: TOKENS }, (_, i) => (i === 0 ? 'Token' : ` token${i}`)).join('')
const MESSAGES = [
  { role: 'system', content: 'You are the benchmark assistant.' },
  { role: 'user', content: 'Write fifty tokens about load testing an API gateway.' },
]
const nonStreamingBody = JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES })
const streamingBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: MESSAGES,
  stream: true,
  stream_options: { include_usage: true },
})

/** The same streamed request, paced by the upstream (fake-upstream.ts reads the marker): long enough to overlap. */
const pacedStreamingBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'system', content: `[interval ${STREAM_INTERVAL_MS} ms]` }, ...MESSAGES],
  stream: true,
  stream_options: { include_usage: true },
})

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer().once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })

/** Child stdout is drained for the whole run (a full pipe would stall the child); the tail is kept for errors. */
const tails = new Map<ChildProcess, string[]>()
const start = (args: string[], port: number, env: Record<string, string>) =>
  new Promise<ChildProcess>((ok, fail) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const tail: string[] = []
    tails.set(child, tail)
    child.stdout!.on('data', (d: Buffer) => {
      const s = d.toString()
      tail.push(...s.split('\n').filter(Boolean))
      tail.splice(0, Math.max(0, tail.length - 40))
      if (/ready|running/i.test(s)) ok(child)
    })
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}\n${tail.join('\n')}`)))
  })

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((ok) => child.once('exit', ok))
  child.kill('SIGTERM')
  await Promise.race([exited, sleep(10_000)])
}

type Run = {
  rps: number
  p50: number
  p99: number
  total: number
  /** 2xx responses, warm-up included: each one must have its usage row. */
  answered: number
  autocannon: { p50: number; p99: number; average: number; max: number }
  /** CPU per 2xx response, ms. */
  cpuMsPerRequest: { gateway?: number; upstream?: number; postgres?: number; loadGenerator: number }
  /**
   * Where the machine's cores went during the run, in % of one core: the bench's processes, PostgreSQL, and
   * everything else on the machine (other work sharing it makes the figures noisy).
   */
  cpuPercentOfOneCore: {
    machineBusy?: number
    gateway?: number
    upstream?: number
    postgres?: number
    loadGenerator: number
    other?: number
  }
}

/**
 * 3 s warm-up then BENCH_SECONDS at BENCH_CONNECTIONS. Percentiles are computed here from every response's time
 * (autocannon's own histogram has 1 ms buckets, too coarse for a 2 ms target); both are kept in the raw result.
 */
const load = async (
  name: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  pids: { gateway?: number; upstream?: number },
): Promise<Run> => {
  const opts = {
    url,
    method: 'POST' as const,
    body,
    headers: { 'content-type': 'application/json', ...headers },
    connections: CONNECTIONS,
  }
  const check = (r: autocannon.Result, phase: string) => {
    if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
      throw new Error(`${name} (${phase}): ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`)
  }
  const warmup = await autocannon({ ...opts, duration: WARMUP })
  check(warmup, 'warm-up')
  const times: number[] = []
  const snapshot = () => ({
    gateway: cpuMs(pids.gateway),
    upstream: cpuMs(pids.upstream),
    postgres: postgresMs(),
    machine: machineMs(),
    wall: performance.now(),
  })
  const before = snapshot()
  const self0 = process.cpuUsage()
  const r = await new Promise<autocannon.Result>((ok, fail) => {
    const instance = autocannon({ ...opts, duration: DURATION }, (err, result) => (err ? fail(err) : ok(result)))
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) times.push(responseTime)
    })
  })
  const self1 = process.cpuUsage(self0)
  const after = snapshot()
  check(r, 'measured')
  times.sort((a, b) => a - b)
  const spent = (k: 'gateway' | 'upstream') =>
    after[k] === undefined || before[k] === undefined ? undefined : after[k]! - before[k]!
  // Backends that exited during the run are lost; those that started during it count in full.
  const postgres =
    after.postgres && before.postgres
      ? [...after.postgres].reduce((sum, [pid, ms]) => sum + ms - (before.postgres!.get(pid) ?? 0), 0)
      : undefined
  const self = (self1.user + self1.system) / 1000
  const wall = after.wall - before.wall
  const perRequest = (ms: number | undefined) => (ms === undefined ? undefined : +(ms / times.length).toFixed(3))
  const share = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((100 * ms) / wall))
  const machineBusy =
    after.machine && before.machine
      ? ((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)) *
        cpus().length *
        wall
      : undefined
  const ours = (spent('gateway') ?? 0) + (spent('upstream') ?? 0) + (postgres ?? 0) + self
  const run: Run = {
    rps: Math.round(r.requests.average),
    p50: pct(times, 50),
    p99: pct(times, 99),
    total: r.requests.total,
    answered: warmup['2xx'] + r['2xx'],
    autocannon: { p50: r.latency.p50, p99: r.latency.p99, average: r.latency.average, max: r.latency.max },
    cpuMsPerRequest: {
      gateway: perRequest(spent('gateway')),
      upstream: perRequest(spent('upstream')),
      postgres: perRequest(postgres),
      loadGenerator: perRequest(self)!,
    },
    cpuPercentOfOneCore: {
      machineBusy: share(machineBusy),
      gateway: share(spent('gateway')),
      upstream: share(spent('upstream')),
      postgres: share(postgres),
      loadGenerator: share(self)!,
      other: machineBusy === undefined ? undefined : Math.max(0, share(machineBusy - ours)!),
    },
  }
  const c = run.cpuPercentOfOneCore
  console.error(
    `${name}: ${run.rps} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms (${run.total} requests); CPU % of a core: ` +
      `gateway ${c.gateway}, upstream ${c.upstream}, postgres ${c.postgres}, autocannon ${c.loadGenerator}, other ` +
      `processes ${c.other}`,
  )
  await sleep(1000) // requests cut off at the end of the run drain before the next one
  return run
}

/** One non-streaming request, checked, in ms. */
const timeJson = async (url: string, headers: Record<string, string>) => {
  const t0 = performance.now()
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: nonStreamingBody,
  })
  const json = (await res.json()) as {
    choices?: Array<{ message: { content: string } }>
    usage?: { completion_tokens: number }
  }
  const elapsed = performance.now() - t0
  if (!res.ok || json.choices?.[0]?.message.content !== EXPECTED_TEXT || json.usage?.completion_tokens !== TOKENS) {
    throw new Error(`${url}: unexpected answer ${res.status} ${JSON.stringify(json).slice(0, 300)}`)
  }
  return elapsed
}

/** One streaming request: time to the response head, the first body byte, the first content token, the end. */
const timeStream = async (
  url: string,
  headers: Record<string, string>,
  body = streamingBody,
  open?: { opened(): void; closed(): void },
) => {
  const t0 = performance.now()
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  const head = performance.now() - t0
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  open?.opened()
  try {
    return await readStream(url, res.body, t0, head)
  } finally {
    open?.closed()
  }
}

/**
 * Reads an OpenAI stream to its end: the content tokens must make the expected text in order (a dropped, repeated
 * or reordered frame changes it), then a usage chunk and `[DONE]`.
 */
const readStream = async (url: string, stream: ReadableStream<Uint8Array>, t0: number, head: number) => {
  const decoder = new TextDecoder()
  let ttfb: number | undefined
  let ttft: number | undefined
  let buffer = ''
  let text = ''
  let done = false
  let usage = false
  for await (const bytes of stream) {
    ttfb ??= performance.now() - t0
    buffer += decoder.decode(bytes, { stream: true })
    const events = buffer.split('\n\n')
    buffer = events.pop()!
    for (const event of events) {
      const data = event.replace(/^data: /, '')
      if (data === '[DONE]') {
        done = true
        continue
      }
      const chunk = JSON.parse(data) as {
        choices: Array<{ delta: { content?: string } }>
        usage?: unknown
        error?: unknown
      }
      if (chunk.error) throw new Error(`${url}: stream error ${JSON.stringify(chunk.error)}`)
      if (chunk.usage) usage = true
      const content = chunk.choices[0]?.delta.content
      if (content) {
        ttft ??= performance.now() - t0
        text += content
      }
    }
  }
  const total = performance.now() - t0
  if (!done || !usage || text !== EXPECTED_TEXT)
    throw new Error(
      `${url}: incomplete stream (done ${done}, usage ${usage}, ${text.length} of ${EXPECTED_TEXT.length} characters)`,
    )
  return { head, ttfb: ttfb!, ttft: ttft!, total }
}

/**
 * STREAMS streamed calls started at once, each ≈ 4 s long (paced by the upstream): how many were open together at
 * the peak, how many completed intact (every token in order, usage, `[DONE]`), and the CPU each took in the gateway.
 */
const concurrentStreams = async (name: string, url: string, headers: Record<string, string>, pid?: number) => {
  let open = 0
  let peak = 0
  const tracker = {
    opened: () => void (peak = Math.max(peak, ++open)),
    closed: () => void open--,
  }
  const cpu0 = cpuMs(pid)
  const t0 = performance.now()
  const results = await Promise.allSettled(
    Array.from({ length: STREAMS }, () => timeStream(url, headers, pacedStreamingBody, tracker)),
  )
  const wall = performance.now() - t0
  const cpu1 = cpuMs(pid)
  const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason).slice(0, 200))
  const firstTokens = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.ttft] : [])).sort((a, b) => a - b)
  const run = {
    streams: STREAMS,
    intact: results.length - failures.length,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 5),
    peakOpenAtOnce: peak,
    wallMs: Math.round(wall),
    firstToken: { p50: pct(firstTokens, 50), p99: pct(firstTokens, 99) },
    cpuMsPerStream: cpu0 === undefined || cpu1 === undefined ? undefined : +((cpu1 - cpu0) / STREAMS).toFixed(3),
  }
  console.error(
    `${name}: ${run.intact} of ${STREAMS} streams intact, ${peak} open at once, first token p50 ${run.firstToken.p50} ms ` +
      `p99 ${run.firstToken.p99} ms, ${run.cpuMsPerStream} ms CPU per stream`,
  )
  await sleep(1000)
  return run
}

const dbName = `camarad_bench_${Date.now().toString(36)}`
const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`CREATE DATABASE ${dbName}`)
const dbUrl = new URL(ADMIN_URL)
dbUrl.pathname = `/${dbName}`

const children: ChildProcess[] = []
let failed = false
try {
  const upstreamPort = await freePort()
  const upstream = await start(['bench/fake-upstream.ts'], upstreamPort, {
    TTFT_MS: String(TTFT_MS),
    TOKENS: String(TOKENS),
    TOKEN_INTERVAL_MS: String(TOKEN_INTERVAL_MS),
  })
  children.push(upstream)
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}/v1`

  ensurePortkey()
  const portkeyPort = await freePort()
  const portkeyProcess = await start([PORTKEY_MAIN, `--port=${portkeyPort}`, '--headless'], portkeyPort, {
    NODE_ENV: 'production',
  })
  children.push(portkeyProcess)

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true })
  const camarad = await start([...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []), 'src/main.ts'], port, {
    DATABASE_URL: dbUrl.toString(),
    RUN_WORKER: 'false',
    LOG_LEVEL: 'warn',
    PUBLIC_URL: base,
    HOST: '127.0.0.1',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: upstreamUrl,
    RATE_LIMIT_PER_MINUTE: '100000000',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop',
    REDIS_URL: '',
    // Metering stays on (every call is estimated, held and settled); only the throttles are out of the way.
    INTERNAL_TOKEN,
    CREDITS_RPM_PER_USER: '100000000',
    CREDITS_RPM_PER_WORKSPACE: '100000000',
    CREDITS_MAX_CONCURRENT_STREAMS: '100000',
  })
  children.push(camarad)

  const post = async (path: string, body: unknown, cookie?: string) => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return { json: (await res.json()) as Record<string, unknown>, cookie: res.headers.get('set-cookie')?.split(';')[0] }
  }
  const signup = await post('/api/auth/signup', {
    email: 'bench@example.test',
    password: 'load test passphrase 42',
    name: 'Bench',
  })
  await post('/api/auth/onboarding', { workspaceName: 'Bench Agency', clientName: 'Bench Client' }, signup.cookie)
  const token = (await post('/api/tokens', { name: 'bench' }, signup.cookie)).json.token as string
  if (!token?.startsWith('cmr_')) throw new Error(`unexpected token ${token}`)
  // Enough credits for every call of the run (each holds ≈ 2.5 credits for gpt-4o-mini's 16k maximum answer).
  const workspaceId = (
    (await (await fetch(`${base}/api/auth/status`, { headers: { cookie: signup.cookie! } })).json()) as {
      workspaces: { id: string }[]
    }
  ).workspaces[0]!.id
  const grant = await fetch(`${base}/api/operator/workspaces/${workspaceId}/credits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-internal-token': INTERNAL_TOKEN },
    body: JSON.stringify({ credits: 10_000_000, reason: 'bench' }),
  })
  if (grant.status !== 201) throw new Error(`grant: ${grant.status} ${await grant.text()}`)

  const direct = { url: `${upstreamUrl}/chat/completions`, headers: { authorization: 'Bearer sk-bench' } }
  const gateway = { url: `${base}/v1/chat/completions`, headers: { authorization: `Bearer ${token}` } }
  const portkey = {
    url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
    headers: { authorization: 'Bearer sk-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamUrl },
  }

  // Every path answers the same thing before any load: same text, same usage.
  for (const target of [direct, gateway, portkey]) await timeJson(target.url, target.headers)
  for (const target of [direct, gateway]) await timeStream(target.url, target.headers)
  // Portkey 1.15.2 on Node answers every streamed request 500 ("TypeError: immutable" appending headers to the
  // upstream's Response): its streaming is measured only if it works.
  const portkeyStreamError = await timeStream(portkey.url, portkey.headers).then(
    () => undefined,
    (err: Error) => err.message.slice(0, 200),
  )
  if (portkeyStreamError) console.error(`Portkey streaming skipped: ${portkeyStreamError}`)

  const pids = { gateway: camarad.pid, upstream: upstream.pid }
  const portkeyPids = { gateway: portkeyProcess.pid, upstream: upstream.pid }
  const nonStreaming = {
    direct: await load('direct, non-streaming', direct.url, nonStreamingBody, direct.headers, pids),
    portkey: await load('Portkey, non-streaming', portkey.url, nonStreamingBody, portkey.headers, portkeyPids),
    camarad: await load('Camarad, non-streaming', gateway.url, nonStreamingBody, gateway.headers, pids),
  }
  const streaming = {
    direct: await load('direct, streaming', direct.url, streamingBody, direct.headers, pids),
    portkey: portkeyStreamError
      ? undefined
      : await load('Portkey, streaming', portkey.url, streamingBody, portkey.headers, portkeyPids),
    camarad: await load('Camarad, streaming', gateway.url, streamingBody, gateway.headers, pids),
  }

  // Sequential (one request at a time), interleaved so drift hits both paths alike; 10 of each first to warm up.
  type Timing = Awaited<ReturnType<typeof timeStream>>
  const samples = {
    direct: [] as Timing[],
    camarad: [] as Timing[],
    directJson: [] as number[],
    camaradJson: [] as number[],
    portkeyJson: [] as number[],
  }
  for (let i = 0; i < 10; i++) {
    await timeStream(direct.url, direct.headers)
    await timeStream(gateway.url, gateway.headers)
  }
  for (let i = 0; i < TTFB_REQUESTS; i++) {
    samples.direct.push(await timeStream(direct.url, direct.headers))
    samples.camarad.push(await timeStream(gateway.url, gateway.headers))
  }
  for (let i = 0; i < TTFB_REQUESTS + 10; i++) {
    const d = await timeJson(direct.url, direct.headers)
    const c = await timeJson(gateway.url, gateway.headers)
    const p = await timeJson(portkey.url, portkey.headers)
    if (i >= 10) {
      samples.directJson.push(d)
      samples.camaradJson.push(c)
      samples.portkeyJson.push(p)
    }
  }
  const summary = (direct: number[], camarad: number[]) => {
    const d = [...direct].sort((a, b) => a - b)
    const c = [...camarad].sort((a, b) => a - b)
    return {
      direct: { p50: pct(d, 50), p99: pct(d, 99) },
      camarad: { p50: pct(c, 50), p99: pct(c, 99) },
      added: { p50: +(pct(c, 50) - pct(d, 50)).toFixed(2), p99: +(pct(c, 99) - pct(d, 99)).toFixed(2) },
    }
  }
  const streamSummary = (key: keyof Timing) =>
    summary(
      samples.direct.map((s) => s[key]),
      samples.camarad.map((s) => s[key]),
    )
  const sequential = {
    requests: TTFB_REQUESTS,
    streaming: {
      firstByte: streamSummary('ttfb'),
      firstToken: streamSummary('ttft'),
      fullResponse: streamSummary('total'),
    },
    nonStreaming: summary(samples.directJson, samples.camaradJson),
    /** The same sequential non-streaming calls through Portkey (`camarad` in this summary is Portkey). */
    portkeyNonStreaming: summary(samples.directJson, samples.portkeyJson),
  }

  // STREAMS streams at once (issue 16: ≥ 1,000 held, none dropped or reordered).
  const concurrent = {
    direct: await concurrentStreams('direct, concurrent streams', direct.url, direct.headers, upstream.pid),
    camarad: await concurrentStreams('Camarad, concurrent streams', gateway.url, gateway.headers, camarad.pid),
  }
  if (concurrent.camarad.failed || concurrent.direct.failed)
    throw new Error(`concurrent streams failed: ${JSON.stringify(concurrent)}`)

  await sleep(1000)
  const db = new pg.Client({ connectionString: dbUrl.toString() })
  await db.connect()
  const rows = (
    await db.query(`SELECT surface, status, count(*)::int AS n FROM model_calls GROUP BY 1, 2 ORDER BY 1, 2`)
  ).rows as Array<{ surface: string; status: string; n: number }>
  // The ledger after the run: every call debited once, nothing left held, entries summing to the balance.
  const ledger = (
    await db
      .query(
        `SELECT a.balance::text, a.held::text,
      (SELECT coalesce(sum(amount), 0)::text FROM credit_entries e WHERE e.workspace_id = a.workspace_id) AS entries,
      (SELECT count(*)::int FROM credit_entries e WHERE e.workspace_id = a.workspace_id AND kind = 'debit') AS debits,
      (SELECT count(*)::int FROM credit_holds h WHERE h.workspace_id = a.workspace_id AND status = 'pending') AS pending
    FROM credit_accounts a WHERE a.workspace_id = $1`,
        [workspaceId],
      )
      .finally(() => db.end())
  ).rows[0] as { balance: string; held: string; entries: string; debits: number; pending: number }
  if (ledger.balance !== ledger.entries || ledger.held !== '0' || ledger.pending !== 0)
    throw new Error(`ledger invariants broken after the run: ${JSON.stringify(ledger)}`)
  // Every answered call has its usage row (written before the answer or the stream's last chunk); calls that autocannon
  // cut off at the end of a run may add `complete` or `cancelled` rows beyond these.
  const answered =
    nonStreaming.camarad.answered +
    streaming.camarad.answered +
    2 +
    10 +
    TTFB_REQUESTS +
    TTFB_REQUESTS +
    10 +
    concurrent.camarad.intact
  const recorded = rows.filter((r) => r.surface === 'v1' && r.status === 'complete').reduce((sum, r) => sum + r.n, 0)
  if (recorded < answered)
    throw new Error(`${answered} calls answered through Camarad but only ${recorded} usage rows recorded`)
  if (ledger.debits < answered)
    throw new Error(`${answered} calls answered through Camarad but only ${ledger.debits} debits`)

  const added = (a: Run, b: Run) => ({ p50: +(b.p50 - a.p50).toFixed(2), p99: +(b.p99 - a.p99).toFixed(2) })
  const runs = [nonStreaming.direct, nonStreaming.portkey, nonStreaming.camarad, streaming.direct, streaming.camarad]
  const otherLoad = Math.max(...runs.map((r) => r.cpuPercentOfOneCore.other ?? 0))
  const addedNonStreaming = added(nonStreaming.direct, nonStreaming.camarad)
  const addedStreaming = added(streaming.direct, streaming.camarad)
  const addedPortkey = added(nonStreaming.direct, nonStreaming.portkey)
  /** The targets, as ratios measured in this run. */
  const ratios = {
    nonStreamingThroughputVsPortkey: +(nonStreaming.camarad.rps / nonStreaming.portkey.rps).toFixed(2),
    streamingThroughputVsPortkey: streaming.portkey
      ? +(streaming.camarad.rps / streaming.portkey.rps).toFixed(2)
      : null,
    camaradCpuMsPerCall: nonStreaming.camarad.cpuMsPerRequest.gateway,
    portkeyCpuMsPerCall: nonStreaming.portkey.cpuMsPerRequest.gateway,
  }
  const result = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    durationSeconds: DURATION,
    warmupSeconds: WARMUP,
    connections: CONNECTIONS,
    upstream: { ttftMs: TTFT_MS, tokens: TOKENS, tokenIntervalMs: TOKEN_INTERVAL_MS },
    portkey: { version: PORTKEY_VERSION, streamingError: portkeyStreamError ?? null },
    ratios,
    nonStreaming: { ...nonStreaming, added: addedNonStreaming },
    streaming: { ...streaming, added: addedStreaming },
    sequential,
    /** STREAMS streamed calls at once, ≈ 4 s each: open together at the peak, intact, CPU per stream. */
    concurrentStreams: { ...concurrent, intervalMs: STREAM_INTERVAL_MS },
    /** Usage rows Camarad wrote: one per call; `cancelled` ones are streams autocannon cut off at the end of a run. */
    modelCallRows: rows,
    camaradCallsAnswered: answered,
    /** Full metering: one hold and one debit per call; checked after the run. */
    ledger: {
      debits: ledger.debits,
      pendingHolds: ledger.pending,
      balanceEqualsEntries: ledger.balance === ledger.entries,
    },
    /** The most CPU that processes outside this bench (and outside PostgreSQL) took during a loaded run, % of one core. */
    otherLoadPercentOfOneCore: otherLoad,
    target: {
      addedP50Ms: TARGET_ADDED_P50_MS,
      connections: CONNECTIONS,
      met: Math.max(addedNonStreaming.p50, addedStreaming.p50) <= TARGET_ADDED_P50_MS,
    },
  }
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/gateway.json', JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))

  const ms = (n: number) => `${n >= 100 ? Math.round(n) : n.toFixed(1)} ms`
  const signed = (n: number) => `${n >= 0 ? '+' : '−'}${ms(Math.abs(n))}`
  const loaded = (r: Run) => `${r.rps} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}`
  const quiet = (s: ReturnType<typeof summary>) => [
    `p50 ${ms(s.direct.p50)}, p99 ${ms(s.direct.p99)}`,
    `p50 ${ms(s.camarad.p50)}, p99 ${ms(s.camarad.p99)}`,
    `${signed(s.added.p50)} / ${signed(s.added.p99)}`,
  ]
  const day = result.date.slice(0, 10)
  const table = [
    '| date | measurement | upstream direct | through Camarad | added p50 / p99 |',
    '| --- | --- | --- | --- | --- |',
    `| ${day} | ${CONNECTIONS} connections, non-streaming | ${loaded(nonStreaming.direct)} | ${loaded(nonStreaming.camarad)} ` +
      `| **${signed(addedNonStreaming.p50)}** / ${signed(addedNonStreaming.p99)} |`,
    `| ${day} | ${CONNECTIONS} connections, streaming (full response) | ${loaded(streaming.direct)} | ${loaded(streaming.camarad)} ` +
      `| **${signed(addedStreaming.p50)}** / ${signed(addedStreaming.p99)} |`,
    `| ${day} | ${CONNECTIONS} connections, non-streaming, through Portkey ${PORTKEY_VERSION} ` +
      `| ${loaded(nonStreaming.direct)} | ${loaded(nonStreaming.portkey)} ` +
      `| ${signed(addedPortkey.p50)} / ${signed(addedPortkey.p99)} |`,
    `| ${day} | sequential, non-streaming | ${quiet(sequential.nonStreaming).join(' | ')} |`,
    `| ${day} | sequential, non-streaming, through Portkey | ${quiet(sequential.portkeyNonStreaming).join(' | ')} |`,
    `| ${day} | sequential streaming, first byte | ${quiet(sequential.streaming.firstByte).join(' | ')} |`,
    `| ${day} | sequential streaming, first content token | ${quiet(sequential.streaming.firstToken).join(' | ')} |`,
  ]
  console.log(`\n${table.join('\n')}\n`)
  console.log(
    `Camarad / Portkey, non-streaming throughput at ${CONNECTIONS} connections: ${ratios.nonStreamingThroughputVsPortkey}× ` +
      `(target ≥ 1×); CPU per call ${ratios.camaradCpuMsPerCall} ms (Camarad) vs ${ratios.portkeyCpuMsPerCall} ms (Portkey).`,
  )
  console.log(
    `${STREAMS} streams at once through Camarad: ${concurrent.camarad.peakOpenAtOnce} open together at the peak, ` +
      `${concurrent.camarad.intact} intact (every token in order), ${concurrent.camarad.cpuMsPerStream} ms CPU per stream; ` +
      `CPU per streamed call at 64 connections ${streaming.camarad.cpuMsPerRequest.gateway} ms.`,
  )
  console.log(
    `Target: added p50 ≤ ${TARGET_ADDED_P50_MS} ms at ${CONNECTIONS} connections: ${result.target.met ? 'met' : 'not met'}.`,
  )
  if (otherLoad > 20)
    console.log(
      `Warning: other processes on this machine used up to ${otherLoad} % of a core during the loaded runs; the figures are noisy.`,
    )
} catch (err) {
  failed = true
  console.error(err)
  for (const [child, tail] of tails)
    if (tail.length) console.error(`--- last output of pid ${child.pid} ---\n${tail.join('\n')}`)
} finally {
  for (const c of children.reverse()) await stop(c)
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  await admin.end()
}
if (failed) process.exitCode = 1
