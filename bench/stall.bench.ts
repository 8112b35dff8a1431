import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus } from 'node:os'
import { Session } from 'node:inspector/promises'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createContainer } from '../src/container.ts'
import { startFakeOpenAI } from '../test/fakes/openai-upstream.ts'
import { gitCommit } from './measure.ts'

/**
 * bench/stall: the longest the event loop stops while one hostile input is handled, through the real HTTP entry
 * point. Camarad runs in this process (PGlite in memory) listening on 127.0.0.1; a ticker (setTimeout every 1 ms)
 * records the largest gap between two ticks while each request is in flight; the client is `fetch` in the same
 * process, so a stall in the server is a stall of the whole process, which is what a user would see. Target: no
 * hostile input stops the loop for more than 100 ms.
 */
const TARGET_MS = 100
const INTERNAL_TOKEN = 'bench-operator-token-0123456789-abcdef'
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
/** PGlite in memory by default (the embedded mode: the database shares the event loop); PostgreSQL when set. */
const ADMIN_URL = process.env.BENCH_DATABASE_URL

const database = ADMIN_URL ? `camarad_bench_stall_${randomBytes(4).toString('hex')}` : undefined
const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  await c.query(sql)
  await c.end()
}
if (database) await admin(`CREATE DATABASE ${database}`)
const databaseUrl = database ? Object.assign(new URL(ADMIN_URL!), { pathname: `/${database}` }).toString() : undefined

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
/** A 400 whose message invites the patterns that read provider errors to backtrack (≈ 540 KB, one line). */
const hostileErrorMessage = `Request failed: ${'input token count '.repeat(30_000)} sksksk${'-'.repeat(1_000)}`

// The page fetch_page is sent to: 100 000 unclosed "<a".
const page = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' })
  res.end(`<html><title>x</title><body>${'<a'.repeat(100_000)}`)
})
await new Promise<void>((ok) => page.listen(0, '127.0.0.1', ok))
const pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/hostile`
const tools = await startFakeOpenAI({
  text: 'Read it.',
  toolCalls: [{ id: 'call_page', name: 'fetch_page', arguments: JSON.stringify({ url: pageUrl }) }],
})
const failing = await startFakeOpenAI({ fail: { status: 400, message: hostileErrorMessage } })

const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATA_DIR: ':memory:',
  RUN_WORKER: 'false',
  PUBLIC_URL: 'http://127.0.0.1',
  SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop',
  WEB_DIST_DIR: './.tmp/no-web',
  INTERNAL_TOKEN,
  RATE_LIMIT_PER_MINUTE: '100000',
  CREDITS_RPM_PER_USER: '100000',
  CREDITS_RPM_PER_WORKSPACE: '100000',
  OFFLINE_MODEL_CHUNK_DELAY_MS: '0',
  PLANS_FILE: 'test/fixtures/plans-unlimited.json',
  EGRESS_ALLOW_PRIVATE: '127.0.0.1/32',
  OPENAI_API_KEY: 'sk-bench-tools',
  OPENAI_BASE_URL: tools.url,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
})
const container = await createContainer(config, { supervise: false })
const app = await buildApp(container)
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
const ORIGIN = 'http://127.0.0.1'

const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  return { status: res.status, text: await res.text(), cookie: res.headers.get('set-cookie')?.split(';')[0] }
}
const json = (value: unknown) => JSON.stringify(value)

// A workspace through the real API: sign-up, onboarding, an API token; a second one whose own key points at the failing upstream.
const account = async (label: string) => {
  const email = `${label}-${Date.now()}@bench.test`
  const signup = await send(
    'POST',
    '/api/auth/signup',
    { origin: ORIGIN },
    json({ email, password: `correct horse ${label} battery`, name: label }),
  )
  const cookie = signup.cookie!
  const onboarding = JSON.parse(
    (
      await send(
        'POST',
        '/api/auth/onboarding',
        { origin: ORIGIN, cookie },
        json({ workspaceName: label, clientName: label }),
      )
    ).text,
  )
  const token = JSON.parse(
    (await send('POST', '/api/tokens', { origin: ORIGIN, cookie }, json({ name: 'bench' }))).text,
  ).token as string
  // Welcome credits wait for a verified email: the operator grants what the chat input spends.
  const grant = await send(
    'POST',
    `/api/operator/workspaces/${onboarding.workspace.id}/credits`,
    { 'x-internal-token': INTERNAL_TOKEN },
    json({ credits: 1000, reason: 'bench/stall' }),
  )
  if (grant.status !== 201 && grant.status !== 200) throw new Error(`grant: ${grant.status} ${grant.text}`)
  return { cookie, workspaceId: onboarding.workspace.id as string, clientId: onboarding.client.id as string, token }
}
const a = await account('stall')
const b = await account('stall-byok')
const put = await send(
  'PUT',
  `/api/workspaces/${b.workspaceId}/provider-keys/openai`,
  { origin: ORIGIN, cookie: b.cookie },
  json({ apiKey: 'sk-bench-workspace', baseUrl: failing.url }),
)
if (put.status !== 200) throw new Error(`provider key: ${put.status} ${put.text}`)
const browser = { origin: ORIGIN, cookie: a.cookie, 'x-client-id': a.clientId }
const conversation = JSON.parse(
  (await send('POST', '/api/chat/conversations', browser, json({ agentId: 'builtin.seo-strategist' }))).text,
).id as string
const v1 = (who: { token: string; workspaceId: string }) => ({
  authorization: `Bearer ${who.token}`,
  'x-workspace-id': who.workspaceId,
})
// gpt-tokenizer caches the words it has seen: each run sends a word of another letter, so none is answered from that cache.
const word = (n: number, run: number) => String.fromCharCode(97 + (run % 26)).repeat(n)

const inputs: { name: string; run: (run: number) => Promise<{ status: number; text: string }> }[] = [
  {
    name: 'estimate: one 200 000-character word',
    run: (i) =>
      send('POST', '/api/credits/estimate', browser, json({ content: word(200_000, i), conversationId: conversation })),
  },
  {
    name: 'estimate: one 32 000-character word (the longest accepted)',
    run: (i) =>
      send('POST', '/api/credits/estimate', browser, json({ content: word(32_000, i), conversationId: conversation })),
  },
  {
    name: '/v1: one 200 000-character word (offline model)',
    run: (i) =>
      send(
        'POST',
        '/v1/chat/completions',
        v1(a),
        json({ model: 'offline:camarad-offline', messages: [{ role: 'user', content: word(200_000, i) }] }),
      ),
  },
  {
    name: '/v1: JSON nested 10 000 deep',
    run: () =>
      send(
        'POST',
        '/v1/chat/completions',
        v1(a),
        `{"model":"offline:camarad-offline","messages":[{"role":"user","content":"hi","x":${nested(10_000)}}]}`,
      ),
  },
  {
    name: 'chat: fetch_page on 100 000 unclosed "<a"',
    run: () =>
      send('POST', `/api/chat/conversations/${conversation}/messages`, browser, json({ content: 'Read the page' })),
  },
  {
    name: '/v1: a 540 KB provider error body',
    run: () =>
      send(
        'POST',
        '/v1/chat/completions',
        v1(b),
        json({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      ),
  },
]

const cpuNow = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * Runs `work` while a 1 ms ticker records the largest gap between ticks (minus the 1 ms asked for), and the CPU
 * this process used during its busiest gap: on a loaded machine a gap can also be the process waiting for a core,
 * which the CPU figure tells apart (a stall of our own is CPU-bound).
 */
const longestStall = async <T>(work: (run: number) => Promise<T>, run: number) => {
  let last = performance.now()
  let lastCpu = cpuNow()
  let longest = 0
  let busiest = 0
  let ticking = true
  const tick = () => {
    const now = performance.now()
    const cpu = cpuNow()
    longest = Math.max(longest, now - last - 1)
    busiest = Math.max(busiest, cpu - lastCpu)
    last = now
    lastCpu = cpu
    if (ticking) setTimeout(tick, 1)
  }
  setTimeout(tick, 1)
  const started = performance.now()
  const result = await work(run)
  const wall = performance.now() - started
  ticking = false
  tick()
  return { result, stallMs: +longest.toFixed(1), cpuMs: +busiest.toFixed(1), wallMs: +wall.toFixed(0) }
}

/** BENCH_PROFILE=<file>: a CPU profile of the measured requests only (not the setup), for chrome://inspect or speedscope. */
const profiler = process.env.BENCH_PROFILE ? new Session() : undefined
if (profiler) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}

const results = []
/** BENCH_ONLY=<substring>: only the inputs whose name contains it. */
for (const input of inputs.filter((i) => i.name.includes(process.env.BENCH_ONLY ?? ''))) {
  // The first request of each kind also pays for compiling and loading its code path once per process: shown apart.
  const first = await longestStall(input.run, 0)
  const runs = []
  for (let i = 1; i <= RUNS; i++) runs.push(await longestStall(input.run, i))
  const worst = runs.reduce((w, r) => (r.stallMs > w.stallMs ? r : w))
  const status = worst.result.status
  const code =
    /"code":"([^"]+)"/.exec(worst.result.text.slice(0, 2_000))?.[1] ??
    (worst.result.text.includes('event: error') ? 'sse error' : '')
  const cpu = Math.max(...runs.map((r) => r.cpuMs))
  results.push({
    input: input.name,
    status,
    code,
    firstMs: first.stallMs,
    firstCpuMs: first.cpuMs,
    stallMs: worst.stallMs,
    cpuMs: cpu,
    wallMs: worst.wallMs,
    stalls: runs.map((r) => r.stallMs),
  })
  console.log(
    `${input.name.padEnd(62)} ${String(status).padEnd(4)} ${code.padEnd(26)} longest stall ` +
      `${String(worst.stallMs).padStart(8)} ms, CPU in a gap ≤ ${cpu} ms (runs: ` +
      `${runs.map((r) => r.stallMs).join(', ')}; first ${first.stallMs} / CPU ${first.cpuMs}; wall ${worst.wallMs} ` +
      `ms)`,
  )
}

if (profiler) writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify((await profiler.post('Profiler.stop')).profile))

const over = results.filter((r) => r.stallMs > TARGET_MS)
const summary = {
  commit: gitCommit(),
  database: database ? 'postgresql' : 'pglite',
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  runs: RUNS,
  targetMs: TARGET_MS,
  met: over.length === 0,
  results,
}
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/stall.json', JSON.stringify(summary, null, 2))
console.log(
  over.length
    ? `target (≤ ${TARGET_MS} ms) NOT met by: ${over.map((r) => r.input).join('; ')}`
    : `target met: every hostile input stalls the loop ≤ ${TARGET_MS} ms`,
)

await app.close()
await container.close()
await Promise.all([tools.close(), failing.close(), new Promise((ok) => page.close(ok))])
if (database) await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
process.exit(over.length ? 1 : 0)
