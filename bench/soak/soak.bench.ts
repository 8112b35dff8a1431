import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { gitCommit, machineMs, pct } from '../measure.ts'

/**
 * bench/soak: two API processes (`src/main.ts`, RUN_WORKER=false) and two workers (`src/worker.ts`) on one fresh
 * PostgreSQL database and one Redis, under mixed load for SOAK_SECONDS, while one API process and one worker are
 * SIGKILLed every SOAK_KILL_EVERY seconds (alternating) and restarted on the same port.
 *
 * Load (closed loop, SOAK_CALLERS callers per kind, requests spread over both API processes):
 * - `chat`: a conversation with a built-in agent, then one answer (SSE read to its end), `X-Request-ID` unique;
 * - `v1`: `POST /v1/chat/completions` with an API token, `X-Request-ID` unique (a retry replays, never re-charges);
 * - `flow`: a published flow (webhook → set → delay 1 s → set) started by its webhook with a unique `Idempotency-Key`;
 *   the delay hands the run to the queue, so the workers finish it;
 * - `outbox`: an inbox reply on a WhatsApp Cloud number with a unique `clientMessageId`, sent by the workers through
 *   the fake Cloud API (test/fakes/whatsapp-cloud.ts, the real Graph wire format; its `sent` statuses are delivered
 *   back to the API's webhook).
 * A request that fails on the connection or with a 5xx is retried on the other API process with the same key.
 *
 * After the load, a drain (at most SOAK_DRAIN_SECONDS) lets the workers and sweepers finish, then the bench checks,
 * read-only in SQL and in the fakes: every started job reached a terminal state (lost: 0), no side effect happened
 * twice (duplicates: 0), the ledger holds (entries sum to balances, nothing held, one debit per request id), and
 * reports requests served, errors by kind and latency outside the kill windows. Raw results: bench/results/soak.json.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600)
const KILL_EVERY = Number(process.env.SOAK_KILL_EVERY ?? 60)
const DRAIN_SECONDS = Number(process.env.SOAK_DRAIN_SECONDS ?? 300)
const CALLERS = Number(process.env.SOAK_CALLERS ?? 2)
/** Pause between one caller's operations (ms): the machine is shared, the soak is about survival, not throughput. */
const THINK_MS = Number(process.env.SOAK_THINK_MS ?? 100)
/** Responses started this close to a kill (before it, or after the killed process is back) are in its window. */
const WINDOW_MS = 2000
/**
 * A hold whose process died is settled by the sweeper once it expires: 60 s here instead of the default 900 s, so the
 * drain after the load does not have to last 15 minutes. Nothing else is tuned.
 */
const HOLD_TTL_SECONDS = Number(process.env.SOAK_HOLD_TTL_SECONDS ?? 60)
const INTERNAL_TOKEN = 'soak-operator-token-0123456789-abcdef'
const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const PHONE_NUMBER_ID = '106540352249001'
const CONTACTS = 40

process.env.TEST_DRIVER = 'postgres'
const { startFakeWhatsAppCloud } = await import('../../test/fakes/whatsapp-cloud.ts')

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer().once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })
const t0 = Date.now()
const now = () => Date.now() - t0
const key = (prefix: string) => `${prefix}-${randomBytes(9).toString('base64url')}`

// ---------------------------------------------------------------------------------------------------------------
// Processes

type Proc = {
  name: string
  args: string[]
  port?: number
  ready: RegExp
  child?: ChildProcess
  tail: string[]
  /** Exits we did not cause (a crash under load); each is restarted and reported. */
  unexpectedExits: { at: number; code: number | null; signal: string | null; tail: string[] }[]
  killing: boolean
  stopped: boolean
}
const procs: Proc[] = []
let baseEnv: Record<string, string> = {}

const launch = (p: Proc) =>
  new Promise<void>((ok, fail) => {
    const child = spawn(process.execPath, p.args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...baseEnv,
        ...(p.port ? { PORT: String(p.port) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    p.child = child
    let ready = false
    const keep = (d: Buffer) => {
      const s = d.toString()
      p.tail.push(...s.split('\n').filter(Boolean))
      p.tail.splice(0, Math.max(0, p.tail.length - 40))
      if (!ready && p.ready.test(s)) {
        ready = true
        ok()
      }
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    child.once('exit', (code, signal) => {
      if (!ready) return fail(new Error(`${p.name} exited with ${code ?? signal} before ready:\n${p.tail.join('\n')}`))
      if (p.killing || p.stopped) return
      p.unexpectedExits.push({ at: now(), code, signal, tail: [...p.tail] })
      console.error(`!! ${p.name} exited by itself (${code ?? signal}); restarting`)
      void launch(p).catch((err: unknown) => console.error(`!! ${p.name} did not restart: ${String(err)}`))
    })
  })

const sigkill = async (p: Proc) => {
  const child = p.child!
  if (child.exitCode !== null || child.signalCode !== null) return
  p.killing = true
  const gone = new Promise((ok) => child.once('exit', ok))
  child.kill('SIGKILL')
  await gone
  p.killing = false
}
const stop = async (p: Proc) => {
  p.stopped = true
  const child = p.child
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((ok) => child.once('exit', ok))
  child.kill('SIGTERM')
  if (!(await Promise.race([gone.then(() => true), sleep(15_000).then(() => false)]))) {
    child.kill('SIGKILL')
    await gone
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Requests: every attempt is recorded (kind, start, duration, outcome); retries keep the operation's key.

type Kind = 'conversation' | 'chat' | 'v1' | 'flow' | 'outbox'
const KINDS: Kind[] = ['conversation', 'chat', 'v1', 'flow', 'outbox']
type Outcome = 'ok' | 'refused' | 'dropped' | '5xx' | '4xx' | 'timeout' | 'bad-answer'
type Attempt = { kind: Kind; api: number; at: number; ms: number; outcome: Outcome; status?: number; detail?: string }
const attempts: Attempt[] = []
const firstDetail = new Map<string, string>()
let apis: Proc[] = []
let nextApi = 0
const REQUEST_TIMEOUT_MS = 30_000

class Failed extends Error {
  readonly outcome: Outcome
  readonly status: number | undefined
  constructor(outcome: Outcome, status?: number, detail?: string) {
    super(detail)
    this.outcome = outcome
    this.status = status
  }
}

/**
 * One operation: up to 4 attempts, each on the next API process, with the same body and headers (so the same
 * idempotency key); `read` consumes and checks the answer. Answers the value of the first attempt that succeeded.
 */
const operate = async <T>(
  kind: Kind,
  path: string,
  init: { body?: unknown; headers: Record<string, string> },
  read: (res: Response) => Promise<T>,
): Promise<T | undefined> => {
  const first = nextApi++
  for (let attempt = 0; attempt < 4; attempt++) {
    // Operations alternate between the processes, and so do one operation's retries (a dead one is tried every other time).
    const api = (first + attempt) % apis.length
    const started = now()
    const abort = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    try {
      const res = await fetch(`http://127.0.0.1:${apis[api]!.port}${path}`, {
        method: 'POST',
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: abort,
      })
      if (res.status >= 500) throw new Failed('5xx', res.status, (await res.text()).slice(0, 300))
      if (res.status >= 400) throw new Failed('4xx', res.status, (await res.text()).slice(0, 300))
      const value = await read(res)
      attempts.push({ kind, api, at: started, ms: now() - started, outcome: 'ok', status: res.status })
      return value
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } }
      const outcome: Outcome =
        e instanceof Failed
          ? e.outcome
          : e.name === 'TimeoutError'
            ? 'timeout'
            : e.cause?.code === 'ECONNREFUSED'
              ? 'refused'
              : e.name === 'TypeError' || e.cause?.code === 'ECONNRESET' || e.cause?.code === 'UND_ERR_SOCKET'
                ? 'dropped'
                : 'bad-answer'
      const detail = `${e instanceof Failed ? `${e.status} ` : ''}${e.message} ${e.cause?.code ?? ''}`.trim()
      attempts.push({
        kind,
        api,
        at: started,
        ms: now() - started,
        outcome,
        ...(e instanceof Failed ? { status: e.status } : {}),
        detail,
      })
      if (!firstDetail.has(`${kind}:${outcome}`)) firstDetail.set(`${kind}:${outcome}`, detail)
      // A 4xx is an answer (retrying the same request gets the same one); anything else is tried again elsewhere.
      if (outcome === '4xx' || outcome === 'bad-answer') return undefined
      await sleep(200)
    }
  }
  return undefined
}

/** Reads an SSE body to its end; answers its events (`event:` name, `data` parsed). */
const readSse = async (res: Response) =>
  (await res.text())
    .split('\n\n')
    .filter((e) => e.trim())
    .map((e) => {
      const lines = e.split('\n')
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7)
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6)
      let parsed: Record<string, unknown>
      try {
        parsed = data ? (JSON.parse(data) as Record<string, unknown>) : {}
      } catch {
        parsed = { raw: data }
      }
      return { event: event ?? String(parsed.type ?? ''), data: parsed }
    })

// ---------------------------------------------------------------------------------------------------------------
// Set-up

const dbName = `camarad_soak_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`CREATE DATABASE ${dbName}`)
const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).toString()
const fake = await startFakeWhatsAppCloud({
  appSecret: APP_SECRET,
  pairRate: false,
  answerDelayMs: 50,
  numbers: [
    { phoneNumberId: PHONE_NUMBER_ID, accessToken: 'EAAG-soak-token-0001', displayPhoneNumber: '+40 700 000 901' },
  ],
})
const upstream: Proc = {
  name: 'fake-upstream',
  args: ['bench/fake-upstream.ts'],
  port: await freePort(),
  ready: /ready/,
  tail: [],
  unexpectedExits: [],
  killing: false,
  stopped: false,
}
let db: pg.Client | undefined
let failed = false
const statusWebhooks = { delivered: 0, refused: 0 }

type Op = { kind: Kind; key: string; accepted: boolean; id?: string }
const ops: Op[] = []
const kills: { at: number; api: string; worker: string; backAt?: number }[] = []

try {
  const [portA, portB] = [await freePort(), await freePort()]
  const publicUrl = `http://127.0.0.1:${portA}`
  baseEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    LOG_LEVEL: 'warn',
    SECRET_KEY: 'soak-secret-key-0123456789-abcdefghijklmnop',
    INTERNAL_TOKEN,
    OPENAI_API_KEY: 'sk-soak',
    OPENAI_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
    WHATSAPP_GRAPH_API_BASE: fake.url,
    CREDITS_HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
    // The throttles are out of the way (one user sends everything); everything else runs as in production.
    RATE_LIMIT_PER_MINUTE: '100000000',
    SIGNUP_MAX_PER_IP_PER_HOUR: '100000',
    LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
    CREDITS_RPM_PER_USER: '100000000',
    CREDITS_RPM_PER_WORKSPACE: '100000000',
    CREDITS_MAX_CONCURRENT_STREAMS: '100000',
    FLOW_CONCURRENCY_PER_WORKSPACE: '64',
  }
  await launch(upstream)
  procs.push(upstream)
  const mk = (name: string, args: string[], ready: RegExp, port?: number): Proc => ({
    name,
    args,
    ...(port ? { port } : {}),
    ready,
    tail: [],
    unexpectedExits: [],
    killing: false,
    stopped: false,
  })
  apis = [
    mk('api-1', ['src/main.ts'], /Camarad is running/, portA),
    mk('api-2', ['src/main.ts'], /Camarad is running/, portB),
  ]
  const workers = [
    mk('worker-1', ['src/worker.ts'], /worker started/),
    mk('worker-2', ['src/worker.ts'], /worker started/),
  ]
  // The first API process migrates the fresh database; the others start once it is ready.
  baseEnv.RUN_WORKER = 'false'
  await launch(apis[0]!)
  await Promise.all([launch(apis[1]!), ...workers.map(launch)])
  procs.push(...apis, ...workers)

  // Sign up, onboard, token, credits: through the real HTTP API.
  const base = publicUrl
  let cookie = ''
  const setup = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        origin: base,
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`set-up ${method} ${path}: ${res.status} ${text.slice(0, 500)}`)
    cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  }
  await setup('POST', '/api/auth/signup', {
    email: 'soak@example.test',
    password: 'load test passphrase 42',
    name: 'Soak',
  })
  const { client } = (await setup('POST', '/api/auth/onboarding', {
    workspaceName: 'Soak Agency',
    clientName: 'Soak Client',
  })) as { client: { id: string } }
  const asClient = { 'x-client-id': client.id }
  const token = String((await setup('POST', '/api/tokens', { name: 'soak' })).token)
  const workspaceId = ((await setup('GET', '/api/auth/status')) as { workspaces: { id: string }[] }).workspaces[0]!.id
  await setup(
    'POST',
    `/api/operator/workspaces/${workspaceId}/credits`,
    { credits: 10_000_000, reason: 'soak' },
    {
      'x-internal-token': INTERNAL_TOKEN,
    },
  )

  // The agency plan: WhatsApp numbers and 100 000 messages a month.
  await setup(
    'PUT',
    `/api/operator/workspaces/${workspaceId}/plan`,
    { plan: 'agency', reason: 'soak' },
    {
      'x-internal-token': INTERNAL_TOKEN,
    },
  )

  // The flow: its run waits 1 s on a delay, so a worker continues it from the queue.
  const graph = {
    nodes: [
      {
        id: 'hook',
        type: 'core.webhook',
        name: 'Webhook',
        position: { x: 0, y: 0 },
        config: { respond: 'immediately' },
      },
      {
        id: 'first',
        type: 'core.set',
        name: 'Set n',
        position: { x: 220, y: 0 },
        config: { fields: { n: { $expr: '$json.body.n' } }, keepInput: false },
      },
      { id: 'wait', type: 'core.delay', name: 'Delay', position: { x: 440, y: 0 }, config: { seconds: 1 } },
      {
        id: 'last',
        type: 'core.set',
        name: 'Set done',
        position: { x: 660, y: 0 },
        config: { fields: { done: true }, keepInput: true },
      },
    ],
    edges: [
      { from: 'hook', fromPort: 'out', to: 'first', toPort: 'in' },
      { from: 'first', fromPort: 'out', to: 'wait', toPort: 'in' },
      { from: 'wait', fromPort: 'out', to: 'last', toPort: 'in' },
    ],
  }
  const flowId = String((await setup('POST', '/api/flows', { name: 'soak webhook → delay', graph }, asClient)).id)
  await setup('POST', `/api/flows/${flowId}/publish`, undefined, asClient)
  const hookPath = new URL(
    String((await setup('POST', `/api/flows/${flowId}/webhook/rotate`, undefined, asClient)).url),
  ).pathname

  // The WhatsApp number and its contacts, who wrote first (their 24-hour window is open).
  const deliverTo = async (raw: string, signature: string) => {
    for (let i = 0; i < 6; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${apis[i % 2]!.port}/api/webhooks/whatsapp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body: raw,
        })
        if (res.ok) {
          statusWebhooks.delivered++
          return res.status
        }
      } catch {
        /* that process is down: Meta retries, so does this */
      }
      statusWebhooks.refused++
      await sleep(500)
    }
    return 0
  }
  const channel = await setup(
    'POST',
    '/api/channels',
    { kind: 'cloud', name: 'Soak number', phoneNumberId: PHONE_NUMBER_ID, accessToken: 'EAAG-soak-token-0001' },
    asClient,
  )
  for (let i = 0; i < CONTACTS; i++) {
    const raw = JSON.stringify(
      fake.inboundText(PHONE_NUMBER_ID, { waId: `4076090${String(i).padStart(4, '0')}` }, 'Salut'),
    )
    if ((await deliverTo(raw, fake.sign(raw))) !== 200) throw new Error('inbound webhook refused')
  }
  fake.deliverStatusesTo(deliverTo)
  const threads = (
    (await setup('GET', '/api/inbox/threads?limit=100', undefined, asClient)).items as {
      id: string
      channelId: string
    }[]
  ).filter((t) => t.channelId === channel.id)
  if (threads.length < CONTACTS) throw new Error(`only ${threads.length} threads of ${CONTACTS}`)

  db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()

  // -------------------------------------------------------------------------------------------------------------
  // Load

  const bearer = { authorization: `Bearer ${token}` }
  const v1Body = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Write fifty tokens about surviving a crash.' }],
  }
  const operations: Record<Exclude<Kind, 'conversation'>, () => Promise<void>> = {
    async chat() {
      const conversation = await operate(
        'conversation',
        '/api/chat/conversations',
        { body: { agentId: 'builtin.seo-strategist' }, headers: { ...bearer, ...asClient } },
        async (res) => ((await res.json()) as { id: string }).id,
      )
      if (!conversation) return
      const op: Op = { kind: 'chat', key: key('chat'), accepted: false }
      ops.push(op)
      op.accepted = !!(await operate(
        'chat',
        `/api/chat/conversations/${conversation}/messages`,
        {
          body: { content: 'Three tips for a crash-proof site?' },
          headers: { ...bearer, ...asClient, 'x-request-id': op.key },
        },
        async (res) => {
          const events = await readSse(res)
          if (!events.some((e) => e.event === 'done'))
            throw new Failed('bad-answer', res.status, `stream without an end: ${JSON.stringify(events.at(-1))}`)
          return true
        },
      ))
    },
    async v1() {
      const op: Op = { kind: 'v1', key: key('v1'), accepted: false }
      ops.push(op)
      op.accepted = !!(await operate(
        'v1',
        '/v1/chat/completions',
        { body: v1Body, headers: { ...bearer, 'x-request-id': op.key } },
        async (res) => {
          const json = (await res.json()) as { choices?: { message: { content: string } }[] }
          if (!json.choices?.[0]?.message.content) throw new Failed('bad-answer', res.status, 'no content')
          return true
        },
      ))
    },
    async flow() {
      const op: Op = { kind: 'flow', key: key('flow'), accepted: false }
      ops.push(op)
      const runId = await operate(
        'flow',
        hookPath,
        { body: { n: ops.length }, headers: { 'idempotency-key': op.key } },
        async (res) => String(((await res.json()) as { runId?: string }).runId ?? ''),
      )
      op.accepted = runId !== undefined
      if (runId) op.id = runId
    },
    async outbox() {
      const op: Op = { kind: 'outbox', key: key('out').replace(/[^A-Za-z0-9_-]/g, '_'), accepted: false }
      ops.push(op)
      const thread = threads[Math.floor(Math.random() * threads.length)]!
      const id = await operate(
        'outbox',
        `/api/inbox/threads/${thread.id}/messages`,
        { body: { text: `Soak ${op.key}`, clientMessageId: op.key }, headers: { ...bearer, ...asClient } },
        async (res) => String(((await res.json()) as { id: string }).id),
      )
      op.accepted = id !== undefined
      if (id) op.id = id
    },
  }

  console.log(
    `soak: ${SECONDS} s, kill every ${KILL_EVERY} s, ${CALLERS} callers per kind; database ${dbName}; ` +
      `APIs on ${apis.map((a) => a.port).join(', ')}`,
  )
  const loadStart = now()
  const loadEnd = loadStart + SECONDS * 1000
  const machineBefore = machineMs()
  const loadavgs: number[] = []
  const callers = (Object.keys(operations) as (keyof typeof operations)[]).flatMap((kind) =>
    Array.from({ length: CALLERS }, async () => {
      while (now() < loadEnd) {
        await operations[kind]().catch((err: unknown) => console.error(`caller ${kind}:`, err))
        await sleep(THINK_MS)
      }
    }),
  )
  const killer = (async () => {
    for (let k = 1; loadStart + k * KILL_EVERY * 1000 < loadEnd; k++) {
      await sleep(Math.max(0, loadStart + k * KILL_EVERY * 1000 - now()))
      if (now() >= loadEnd) break // restarts slower than SOAK_KILL_EVERY made the schedule late: no kill after the load
      const api = apis[(k - 1) % 2]!
      const worker = workers[(k - 1) % 2]!
      const kill = { at: now(), api: api.name, worker: worker.name } as (typeof kills)[number]
      kills.push(kill)
      await Promise.all([sigkill(api), sigkill(worker)])
      await Promise.all([launch(api), launch(worker)])
      kill.backAt = now()
      console.log(
        `  ${Math.round((kill.at - loadStart) / 1000)} s: SIGKILL ${api.name} + ${worker.name}, back after ` +
          `${((kill.backAt - kill.at) / 1000).toFixed(1)} s; ${attempts.length} attempts so far`,
      )
    }
  })()
  const sampler = setInterval(() => loadavgs.push(loadavg()[0]!), 5000)
  await Promise.all([...callers, killer])
  clearInterval(sampler)
  const machineAfter = machineMs()
  const loadSeconds = (now() - loadStart) / 1000

  // -------------------------------------------------------------------------------------------------------------
  // Drain: until every accepted job is terminal (or SOAK_DRAIN_SECONDS), and then until nothing is held.

  const keysOf = (kind: Kind) => ops.filter((o) => o.kind === kind).map((o) => o.key)
  const pending = async () => {
    const q = async (sql: string, params: unknown[]) => Number((await db!.query(sql, params)).rows[0].n)
    return {
      chat: await q(
        `SELECT count(*) AS n FROM messages WHERE role = 'assistant' AND status = 'streaming' AND request_id = ANY($1)`,
        [keysOf('chat')],
      ),
      flow: await q(
        `SELECT count(*) AS n FROM flow_runs WHERE flow_id = $1 AND status NOT IN ('completed', 'failed', 'cancelled')`,
        [flowId],
      ),
      outbox: await q(
        `SELECT count(*) AS n FROM inbox_messages WHERE client_message_id = ANY($1) AND status = 'queued'`,
        [keysOf('outbox')],
      ),
      holds: await q(`SELECT count(*) AS n FROM credit_holds WHERE status = 'pending'`, []),
    }
  }
  const drainStart = now()
  let left = await pending()
  console.log(`load done (${attempts.length} attempts); draining: ${JSON.stringify(left)}`)
  while (Object.values(left).some((n) => n > 0) && now() - drainStart < DRAIN_SECONDS * 1000) {
    await sleep(5000)
    left = await pending()
  }
  await fake.webhooksSettled()
  const drainSeconds = (now() - drainStart) / 1000
  console.log(`drained in ${drainSeconds.toFixed(0)} s: ${JSON.stringify(left)}`)

  // -------------------------------------------------------------------------------------------------------------
  // Checks (read-only SQL on the soak database, and the fakes' counts)

  const rows = async <R>(sql: string, params: unknown[] = []) => (await db!.query(sql, params)).rows as R[]
  const accepted = (kind: Kind) => ops.filter((o) => o.kind === kind && o.accepted)
  // chat: each accepted request id has one answer, ended (complete / failed / cancelled), never still streaming.
  const chatRows = await rows<{ request_id: string; status: string; n: number }>(
    `SELECT request_id, status, count(*)::int AS n FROM messages WHERE role = 'assistant' AND request_id = ANY($1)
     GROUP BY 1, 2`,
    [keysOf('chat')],
  )
  const chatBy = new Map<string, { status: string; n: number }[]>()
  for (const r of chatRows) chatBy.set(r.request_id, [...(chatBy.get(r.request_id) ?? []), r])
  // flow: one run per idempotency key, ended.
  const flowRows = await rows<{ trigger_key: string; status: string; n: number }>(
    `SELECT trigger_key, status, count(*)::int AS n FROM flow_runs WHERE flow_id = $1 GROUP BY 1, 2`,
    [flowId],
  )
  const flowBy = new Map<string, { status: string; n: number }[]>()
  for (const r of flowRows) flowBy.set(r.trigger_key, [...(flowBy.get(r.trigger_key) ?? []), r])
  // outbox: one message per clientMessageId, sent (or failed), accepted by the Cloud API once.
  const outRows = await rows<{ client_message_id: string; id: string; status: string }>(
    `SELECT client_message_id, id, status FROM inbox_messages WHERE client_message_id = ANY($1)`,
    [keysOf('outbox')],
  )
  const outBy = new Map<string, { id: string; status: string }[]>()
  for (const r of outRows) outBy.set(r.client_message_id, [...(outBy.get(r.client_message_id) ?? []), r])
  // v1: its usage row (model_calls) and debit per request id.
  const v1Calls = await rows<{ request_id: string; status: string; n: number }>(
    `SELECT request_id, status, count(*)::int AS n FROM model_calls WHERE request_id = ANY($1) GROUP BY 1, 2`,
    [keysOf('v1')],
  )
  const v1By = new Map<string, { status: string; n: number }[]>()
  for (const r of v1Calls) v1By.set(r.request_id, [...(v1By.get(r.request_id) ?? []), r])

  const sum = (xs: { n: number }[] | undefined) => (xs ?? []).reduce((a, x) => a + x.n, 0)
  const TERMINAL_CHAT = ['complete', 'failed', 'cancelled']
  const TERMINAL_FLOW = ['completed', 'failed', 'cancelled']
  const lost = {
    chat: accepted('chat')
      .filter((o) => !(chatBy.get(o.key) ?? []).some((r) => TERMINAL_CHAT.includes(r.status)))
      .map((o) => o.key),
    v1: accepted('v1')
      .filter((o) => sum(v1By.get(o.key)) === 0)
      .map((o) => o.key),
    flow: accepted('flow')
      .filter((o) => !(flowBy.get(`idem:${o.key}`) ?? []).some((r) => TERMINAL_FLOW.includes(r.status)))
      .map((o) => o.key),
    outbox: accepted('outbox')
      .filter((o) => !(outBy.get(o.key) ?? []).some((r) => ['sent', 'delivered', 'read', 'failed'].includes(r.status)))
      .map((o) => o.key),
    /** Started but never ended, accepted or not (a request cut by a kill may still have started one). */
    unterminated: {
      chat: chatRows.filter((r) => r.status === 'streaming').length,
      flow: flowRows.filter((r) => !TERMINAL_FLOW.includes(r.status)).reduce((a, r) => a + r.n, 0),
      outbox: outRows.filter((r) => r.status === 'queued').length,
    },
  }
  const duplicates = {
    chat: [...chatBy].filter(([, rs]) => sum(rs) > 1).map(([k]) => k),
    v1ModelCalls: [...v1By].filter(([, rs]) => sum(rs) > 1).map(([k]) => k),
    flowRuns: [...flowBy].filter(([k, rs]) => k && sum(rs) > 1).map(([k]) => k),
    outboxRows: [...outBy].filter(([, rs]) => rs.length > 1).map(([k]) => k),
    /** Messages the fake Cloud API accepted more than once: a customer would have received them twice. */
    cloudDeliveries: fake.duplicates(),
    /** A debit per request id, at most. */
    debits: (
      await rows<{ request_id: string }>(
        `SELECT request_id FROM credit_entries WHERE kind = 'debit' GROUP BY request_id HAVING count(*) > 1`,
      )
    ).map((r) => r.request_id),
  }
  const sentWithoutDelivery = outRows.filter(
    (r) => ['sent', 'delivered', 'read'].includes(r.status) && fake.sendsOf(r.id) === 0,
  ).length
  const ledgerRows = await rows<{ workspace_id: string; balance: string; held: string; entries: string }>(
    `SELECT a.workspace_id, a.balance::text, a.held::text,
       (SELECT coalesce(sum(amount), 0)::text FROM credit_entries e WHERE e.workspace_id = a.workspace_id) AS entries
     FROM credit_accounts a`,
  )
  const pendingHolds = Number(
    (await rows<{ n: string }>(`SELECT count(*) AS n FROM credit_holds WHERE status = 'pending'`))[0]!.n,
  )
  const v1Debits = Number(
    (
      await rows<{ n: string }>(
        `SELECT count(DISTINCT request_id) AS n FROM credit_entries WHERE kind = 'debit' AND request_id = ANY($1)`,
        [accepted('v1').map((o) => o.key)],
      )
    )[0]!.n,
  )
  const ledger = {
    accounts: ledgerRows.length,
    entriesSumToBalances: ledgerRows.every((r) => r.balance === r.entries),
    nothingHeld: ledgerRows.every((r) => r.held === '0'),
    pendingHolds,
    duplicateDebits: duplicates.debits.length,
    v1AnsweredWithoutDebit: accepted('v1').length - v1Debits,
  }

  // Requests, errors by kind, latency outside the kill windows.
  const inWindow = (at: number) => kills.some((k) => at >= k.at - WINDOW_MS && at <= (k.backAt ?? k.at) + WINDOW_MS)
  const byKind = KINDS.map((kind) => {
    const mine = attempts.filter((a) => a.kind === kind)
    const ok = mine.filter((a) => a.outcome === 'ok')
    const calm = ok
      .filter((a) => !inWindow(a.at))
      .map((a) => a.ms)
      .sort((a, b) => a - b)
    const all = ok.map((a) => a.ms).sort((a, b) => a - b)
    const errors: Record<string, { inKillWindow: number; outside: number }> = {}
    for (const a of mine.filter((a) => a.outcome !== 'ok')) {
      const e = (errors[a.outcome] ??= { inKillWindow: 0, outside: 0 })
      if (inWindow(a.at)) e.inKillWindow++
      else e.outside++
    }
    return {
      kind,
      operations: ops.filter((o) => o.kind === kind).length,
      accepted: ops.filter((o) => o.kind === kind && o.accepted).length,
      attempts: mine.length,
      served: ok.length,
      errors,
      latencyMs: {
        outsideKillWindows: { n: calm.length, p50: pct(calm, 50), p99: pct(calm, 99), max: calm.at(-1) ?? NaN },
        all: { n: all.length, p50: pct(all, 50), p99: pct(all, 99), max: all.at(-1) ?? NaN },
      },
    }
  })
  const calmAll = attempts
    .filter((a) => a.outcome === 'ok' && !inWindow(a.at))
    .map((a) => a.ms)
    .sort((a, b) => a - b)

  const lostCount = lost.chat.length + lost.v1.length + lost.flow.length + lost.outbox.length
  const duplicateCount =
    duplicates.chat.length +
    duplicates.v1ModelCalls.length +
    duplicates.flowRuns.length +
    duplicates.outboxRows.length +
    duplicates.cloudDeliveries.length +
    duplicates.debits.length
  const ledgerHolds =
    ledger.entriesSumToBalances &&
    ledger.nothingHeld &&
    ledger.pendingHolds === 0 &&
    ledger.v1AnsweredWithoutDebit === 0
  const result = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    settings: {
      seconds: SECONDS,
      killEvery: KILL_EVERY,
      callersPerKind: CALLERS,
      thinkMs: THINK_MS,
      holdTtlSeconds: HOLD_TTL_SECONDS,
      killWindowMs: WINDOW_MS,
    },
    loadSeconds: +loadSeconds.toFixed(1),
    drainSeconds: +drainSeconds.toFixed(1),
    machineBusyPercent:
      machineBefore && machineAfter
        ? Math.round((100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total))
        : undefined,
    loadAverage1m: {
      max: Math.max(...loadavgs),
      mean: +(loadavgs.reduce((a, b) => a + b, 0) / loadavgs.length).toFixed(2),
    },
    kills: kills.map((k) => ({ ...k, at: k.at - loadStart, backAt: (k.backAt ?? k.at) - loadStart })),
    unexpectedExits: procs.flatMap((p) => p.unexpectedExits.map((e) => ({ process: p.name, ...e }))),
    requests: {
      attempts: attempts.length,
      served: attempts.filter((a) => a.outcome === 'ok').length,
      p50OutsideKillWindows: pct(calmAll, 50),
      p99OutsideKillWindows: pct(calmAll, 99),
      byKind,
      firstErrorOfEachKind: Object.fromEntries(firstDetail),
    },
    statusWebhooks,
    cloud: { accepted: fake.sent.length, throttled: fake.throttled(), sentWithoutDelivery },
    lost: { total: lostCount, ...lost },
    duplicates: { total: duplicateCount, ...duplicates },
    ledger: { holds: ledgerHolds, ...ledger },
    leftAfterDrain: left,
    flowRunsByStatus: flowRows.reduce<Record<string, number>>(
      (a, r) => ({ ...a, [r.status]: (a[r.status] ?? 0) + r.n }),
      {},
    ),
    chatAnswersByStatus: chatRows.reduce<Record<string, number>>(
      (a, r) => ({ ...a, [r.status]: (a[r.status] ?? 0) + r.n }),
      {},
    ),
    outboxByStatus: outRows.reduce<Record<string, number>>(
      (a, r) => ({ ...a, [r.status]: (a[r.status] ?? 0) + 1 }),
      {},
    ),
  }
  mkdirSync(`${ROOT}/bench/results`, { recursive: true })
  writeFileSync(`${ROOT}/bench/results/soak.json`, JSON.stringify(result, null, 2) + '\n')

  const lostCounts = {
    chat: lost.chat.length,
    v1: lost.v1.length,
    flow: lost.flow.length,
    outbox: lost.outbox.length,
    unterminated: lost.unterminated,
  }
  const duplicateCounts = Object.fromEntries(Object.entries(duplicates).map(([k, v]) => [k, v.length]))
  const errs = (e: Record<string, { inKillWindow: number; outside: number }>) =>
    Object.entries(e)
      .map(([k, v]) => `${k} ${v.inKillWindow}+${v.outside}`)
      .join(', ') || '—'
  console.log(
    [
      '',
      `| kind | operations | served (2xx) | errors: kind in-window+outside | p50 / p99 outside kill windows |`,
      '| --- | --- | --- | --- | --- |',
      ...byKind.map(
        (k) =>
          `| ${k.kind} | ${k.operations} | ${k.served} | ${errs(k.errors)} | ` +
          `${Math.round(k.latencyMs.outsideKillWindows.p50)} / ${Math.round(k.latencyMs.outsideKillWindows.p99)} ms |`,
      ),
      '',
      `kills: ${kills.length} (API + worker each), unexpected exits: ${result.unexpectedExits.length}`,
      `lost jobs: ${lostCount} ${JSON.stringify(lostCounts)}`,
      `duplicates: ${duplicateCount} ${JSON.stringify(duplicateCounts)}`,
      `ledger: ${ledgerHolds ? 'holds' : 'BROKEN'} ${JSON.stringify(ledger)}`,
      `p99 outside kill windows (all kinds): ${pct(calmAll, 99)} ms; machine busy ${result.machineBusyPercent} %, ` +
        `load average max ${result.loadAverage1m.max}`,
      `raw results: bench/results/soak.json`,
    ].join('\n'),
  )
  if (lostCount > 0 || duplicateCount > 0 || !ledgerHolds) failed = true
} catch (err) {
  failed = true
  console.error(err)
  for (const p of procs) if (p.tail.length) console.error(`--- last output of ${p.name} ---\n${p.tail.join('\n')}`)
} finally {
  for (const p of [...procs].reverse()) await stop(p).catch(() => undefined)
  await db?.end().catch(() => undefined)
  await fake.close()
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  await admin.end()
}
process.exit(failed ? 1 : 0)
