import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ThreadDto } from '../../contracts/inbox.ts'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud, webhookOf } from '../fakes/whatsapp-cloud.ts'
import { call, createTestContext, driver, onboard, type Caller, type TestContext } from '../harness.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const NUMBER = '106540352242944'
const TOKEN = 'EAAG-token-crash-0123456789'
const MESSAGES = 240
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts `test/outbox-worker.ts` on the test's database. The Node binary running this test (Node 24) is started
 * directly rather than through `npx`: a SIGKILL must reach the process that sends, not a wrapper around it.
 */
const startWorker = (env: Record<string, string>) => {
  const child = spawn(process.execPath, ['test/outbox-worker.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  return { child, output: () => output }
}
const kill = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((ok) => child.once('exit', ok))
  child.kill('SIGKILL')
  await exited
}

/**
 * The outbox survives a killed process (ADR 0005, "Outbox"): a worker sending through the Graph API fake (80 a
 * second, answers held 100 ms so sends are in flight) is SIGKILLed mid-run; a second worker finishes. Every message
 * reaches the fake exactly once: those the first worker had sent without storing the answer are known from the status
 * webhook echoing our id, and the rest are resent after the lease and the grace. PostgreSQL only (PGlite is one
 * process).
 */
describe.skipIf(driver !== 'postgres')('outbox: a worker killed mid-run sends nothing twice (PostgreSQL)', () => {
  let ctx: TestContext
  let fake: FakeWhatsAppCloud
  const workers: ChildProcess[] = []
  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      pairRate: false,
      answerDelayMs: 100,
      numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, displayPhoneNumber: '+40 700 000 002' }],
    })
    ctx = await createTestContext({
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
      WHATSAPP_GRAPH_API_BASE: fake.url,
    })
    // Meta's status webhooks reach the app (this process), whichever worker sent.
    fake.deliverStatusesTo(webhookOf(() => ctx.app))
  })
  afterAll(async () => {
    for (const w of workers) await kill(w)
    await ctx?.close()
    await fake?.close()
  })

  it('delivers every message exactly once across a SIGKILL', async () => {
    const w = await onboard(ctx.app, 'outbox-crash')
    const owner: Caller = { cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } }
    expect(
      (
        await call(ctx.app, 'POST', '/api/channels', owner, {
          kind: 'cloud',
          name: 'Crash',
          phoneNumberId: NUMBER,
          accessToken: TOKEN,
        })
      ).statusCode,
    ).toBe(201)
    for (let i = 0; i < 20; i++) {
      const body = fake.inboundText(NUMBER, { waId: `4075000${String(i).padStart(4, '0')}` }, 'Salut')
      const raw = JSON.stringify(body)
      await ctx.app.inject({
        method: 'POST',
        url: '/api/webhooks/whatsapp',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': fake.sign(raw) },
        payload: raw,
      })
    }
    const threads = (await call(ctx.app, 'GET', '/api/inbox/threads?limit=100', owner)).json().items as ThreadDto[]
    const ids: string[] = []
    for (let i = 0; i < MESSAGES; i++) {
      const r = await call(ctx.app, 'POST', `/api/inbox/threads/${threads[i % threads.length]!.id}/messages`, owner, {
        text: `Mesajul ${i}`,
      })
      ids.push(r.json().id)
    }
    const env = {
      DATABASE_URL: ctx.container.config.DATABASE_URL!,
      SECRET_KEY: ctx.container.config.secretKey,
      WHATSAPP_GRAPH_API_BASE: fake.url,
      PUBLIC_URL: 'http://camarad.test',
      OUTBOX_LEASE_SECONDS: '3',
      OUTBOX_GRACE_SECONDS: '1',
    }
    const first = startWorker(env)
    workers.push(first.child)
    const deadline = Date.now() + 60_000
    while (fake.sent.length < MESSAGES / 3) {
      if (Date.now() > deadline) throw new Error(`the first worker did not send:\n${first.output()}`)
      await sleep(20)
    }
    await kill(first.child)
    const sentByFirst = fake.sent.length
    expect(sentByFirst).toBeLessThan(MESSAGES)

    const second = startWorker(env)
    workers.push(second.child)
    for (;;) {
      const left = await ctx.container.db
        .selectFrom('inboxMessages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('id', 'in', ids)
        .where('status', '=', 'queued')
        .executeTakeFirstOrThrow()
      if (Number(left.n) === 0) break
      if (Date.now() > deadline + 60_000) throw new Error(`the second worker did not finish:\n${second.output()}`)
      await sleep(100)
    }
    await kill(second.child)
    await fake.webhooksSettled()
    expect(fake.duplicates()).toEqual([])
    for (const id of ids) expect(fake.sendsOf(id), id).toBe(1)
    const statuses = await ctx.container.db
      .selectFrom('inboxMessages')
      .select('status')
      .distinct()
      .where('id', 'in', ids)
      .execute()
    expect(statuses.map((s) => s.status)).toEqual(['sent'])
  })
})
