import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { gitCommit } from '../measure.ts'

/**
 * bench/outbox: N WhatsApp messages (2,000 by default) sent by an outbox worker process through the Graph API fake,
 * which enforces Meta's default 80 messages a second per number (130429 above it) and holds each answer
 * `BENCH_ANSWER_MS` (a real Graph answers in tens to hundreds of ms). Reports:
 * 1. throughput: the share of the 80/s cap the outbox used in steady state (after the first second, whose bucket
 *    starts full), and the 130429 answers seen;
 * 2. crash: the same again, the worker SIGKILLed a third of the way through and a second worker finishing: messages
 *    the fake accepted twice (duplicates; target 0).
 * On PostgreSQL (`BENCH_DATABASE_URL`, an admin URL: a fresh database is created and dropped).
 */
const N = Number(process.env.BENCH_MESSAGES ?? 2000)
const ANSWER_MS = Number(process.env.BENCH_ANSWER_MS ?? 50)
const CAP = 80
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
process.env.TEST_DRIVER = 'postgres'
process.env.TEST_DATABASE_URL ??= process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const { startFakeWhatsAppCloud } = await import('../../test/fakes/whatsapp-cloud.ts')
const { call, createTestContext, onboard } = await import('../../test/harness.ts')

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const fake = await startFakeWhatsAppCloud({
  appSecret: APP_SECRET,
  pairRate: false,
  answerDelayMs: ANSWER_MS,
  numbers: [
    { phoneNumberId: '106540352240001', accessToken: 'EAAG-bench-token-0001', displayPhoneNumber: '+40 700 000 101' },
    { phoneNumberId: '106540352240002', accessToken: 'EAAG-bench-token-0002', displayPhoneNumber: '+40 700 000 102' },
  ],
})
const ctx = await createTestContext({
  WHATSAPP_APP_SECRET: APP_SECRET,
  WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
  WHATSAPP_GRAPH_API_BASE: fake.url,
})
const webhook = async (raw: string, signature: string) =>
  (
    await ctx.app.inject({
      method: 'POST',
      url: '/api/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      payload: raw,
    })
  ).statusCode
fake.deliverStatusesTo(webhook)

const w = await onboard(ctx.app, 'bench-outbox')
const owner = { cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } }

/** A number with 50 contacts who wrote first (the 24-hour window is open), and N messages queued through the API. */
const prepare = async (phoneNumberId: string, token: string) => {
  const channel = await call(ctx.app, 'POST', '/api/channels', owner, {
    kind: 'cloud',
    name: `Bench ${phoneNumberId}`,
    phoneNumberId,
    accessToken: token,
  })
  for (let i = 0; i < 50; i++) {
    const body = fake.inboundText(
      phoneNumberId,
      { waId: `40760${phoneNumberId.slice(-1)}${String(i).padStart(5, '0')}` },
      'Salut',
    )
    const raw = JSON.stringify(body)
    await webhook(raw, fake.sign(raw))
  }
  const threads = (await call(ctx.app, 'GET', '/api/inbox/threads?limit=100', owner)).json().items as {
    id: string
    channelId: string
  }[]
  const mine = threads.filter((t) => t.channelId === channel.json().id)
  const ids: string[] = []
  for (let i = 0; i < N; i++) {
    const r = await call(ctx.app, 'POST', `/api/inbox/threads/${mine[i % mine.length]!.id}/messages`, owner, {
      text: `Mesajul ${i}`,
    })
    ids.push(r.json().id as string)
  }
  return ids
}

const env = {
  DATABASE_URL: ctx.container.config.DATABASE_URL!,
  SECRET_KEY: ctx.container.config.secretKey,
  WHATSAPP_GRAPH_API_BASE: fake.url,
  PUBLIC_URL: 'http://camarad.test',
  OUTBOX_LEASE_SECONDS: '5',
  OUTBOX_GRACE_SECONDS: '2',
}
const startWorker = () =>
  spawn(process.execPath, ['test/outbox-worker.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
  })
const kill = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((ok) => child.once('exit', ok))
  child.kill('SIGKILL')
  await exited
}
const queuedLeft = async (ids: string[]) =>
  Number(
    (
      await ctx.container.db
        .selectFrom('inboxMessages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('id', 'in', ids)
        .where('status', '=', 'queued')
        .executeTakeFirstOrThrow()
    ).n,
  )
const waitUntilSent = async (ids: string[]) => {
  const deadline = Date.now() + 10 * 60_000
  while ((await queuedLeft(ids)) > 0) {
    if (Date.now() > deadline) throw new Error('the outbox did not finish in 10 minutes')
    await sleep(100)
  }
}

// 1. Throughput against the 80/s cap.
console.log(`queueing ${N} messages on number 1…`)
const first = await prepare('106540352240001', 'EAAG-bench-token-0001')
const throttledBefore = fake.throttled()
const worker = startWorker()
await waitUntilSent(first)
await kill(worker)
const times = fake.sent.filter((m) => m.phoneNumberId === '106540352240001').map((m) => m.at)
const start = times[0]!
const end = times.at(-1)!
const steady = times.filter((t) => t >= start + 1000)
const steadySeconds = (end - (start + 1000)) / 1000
const share = steady.length / steadySeconds / CAP
const throttled = fake.throttled() - throttledBefore
if (process.env.BENCH_DEBUG)
  console.log({
    throttledAt: fake.throttledAt.map((t) => t - start),
    per100ms: times.reduce<number[]>((a, t) => {
      const i = Math.floor((t - start) / 100)
      a[i] = (a[i] ?? 0) + 1
      return a
    }, []),
  })

// 2. SIGKILL a third of the way through; a second worker finishes.
console.log(`queueing ${N} messages on number 2…`)
const second = await prepare('106540352240002', 'EAAG-bench-token-0002')
const sentOn2 = () => fake.sent.filter((m) => m.phoneNumberId === '106540352240002').length
const victim = startWorker()
while (sentOn2() < N / 3) await sleep(10)
await kill(victim)
const killedAt = sentOn2()
const rescuer = startWorker()
await waitUntilSent(second)
await kill(rescuer)
await fake.webhooksSettled()
const duplicates = fake.duplicates().filter((id) => second.includes(id)).length
const missing = second.filter((id) => fake.sendsOf(id) === 0).length

const result = {
  at: new Date().toISOString(),
  commit: gitCommit(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  messages: N,
  answerMs: ANSWER_MS,
  throughput: {
    capPerSecond: CAP,
    steadyPerSecond: +(steady.length / steadySeconds).toFixed(1),
    shareOfCap: +(share * 100).toFixed(1),
    totalSeconds: +((end - start) / 1000).toFixed(1),
    answers130429: throttled,
  },
  crash: { killedAfter: killedAt, duplicates, missing },
}
console.log(JSON.stringify(result, null, 2))
mkdirSync(`${ROOT}/bench/results`, { recursive: true })
writeFileSync(`${ROOT}/bench/results/outbox.json`, JSON.stringify(result, null, 2))
await ctx.close()
await fake.close()
process.exit(0)
