import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import autocannon from 'autocannon'
import pg from 'pg'

/**
 * bench/http: Camarad's authenticated, client-scoped `GET /api/clients/:id` (Bearer token, PostgreSQL)
 * against a bare Fastify hello-world, both started as child processes in this run and loaded by autocannon.
 * Reports requests/s, p99 latency and the throughput ratio (target ≥ 0.3).
 */
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)

const start = (script: string, port: number, env: Record<string, string>) =>
  new Promise<ChildProcess>((ok, fail) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout!.on('data', (d: Buffer) => {
      if (/ready|running/i.test(d.toString())) ok(child)
    })
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)))
  })

const load = async (url: string, headers: Record<string, string> = {}) => {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 3 }) // warm-up
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return { rps: Math.round(r.requests.average), p99: r.latency.p99, total: r.requests.total }
}

const dbName = `camarad_bench_${Date.now().toString(36)}`
const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`CREATE DATABASE ${dbName}`)
const url = new URL(ADMIN_URL)
url.pathname = `/${dbName}`

const children: ChildProcess[] = []
try {
  const camarad = await start('src/main.ts', 3901, {
    DATABASE_URL: url.toString(),
    RUN_WORKER: 'false',
    LOG_LEVEL: 'warn',
    PUBLIC_URL: 'http://127.0.0.1:3901',
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '100000000',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop',
    REDIS_URL: '',
  })
  children.push(camarad)
  const base = 'http://127.0.0.1:3901'
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
  const onboarding = await post(
    '/api/auth/onboarding',
    { workspaceName: 'Bench Agency', clientName: 'Bench Client' },
    signup.cookie,
  )
  const token = (await post('/api/tokens', { name: 'bench' }, signup.cookie)).json.token as string
  const clientId = (onboarding.json.client as { id: string }).id

  const hello = await start('bench/hello.ts', 3902, {})
  children.push(hello)

  const baseline = await load('http://127.0.0.1:3902/hello')
  const subject = await load(`${base}/api/clients/${clientId}`, { authorization: `Bearer ${token}` })
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    baseline,
    camarad: subject,
    ratio: +(subject.rps / baseline.rps).toFixed(3),
  }
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/http.json', JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))
  console.log(
    `\n| ${result.date.slice(0, 10)} | ${baseline.rps} req/s, p99 ${baseline.p99} ms | ${subject.rps} req/s, p99 ${subject.p99} ms | ${result.ratio} |`,
  )
} finally {
  for (const c of children) c.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 500))
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  await admin.end()
}
