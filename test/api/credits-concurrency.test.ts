import { setTimeout as sleep } from 'node:timers/promises'
import { encode } from 'gpt-tokenizer'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/schema.ts'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import {
  call,
  createTestContext,
  createTestDatabaseUrl,
  createToken,
  driver,
  onboard,
  ORIGIN,
  TEST_INTERNAL_TOKEN,
  type TestContext,
} from '../harness.ts'
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream'
import { sseEvent, textOf, type SseEvent } from '../sse.ts'
import { startServerProcess, type ServerProcess } from '../server-process.ts'

/**
 * The credit ledger under real concurrency, end to end through HTTP on a listening server: a crowd of /v1 calls
 * racing for a balance that covers 50 of them, one request id sent 100 times at once, a server process killed
 * in the middle of an answer (its hold settled by expiry from another process), and an answer stopped by the
 * user. PGlite has one connection and cannot race; these run on the postgres project only.
 */

// gpt-4o-mini: $0.15 / $0.60 per million tokens; 1 credit = $0.01; charge = cost × 2, rounded up (micro-credits).
const expectedCharge = (input: number, output: number) => Math.ceil(((input * 150_000 + output * 600_000) * 2) / 10_000)
const CATCH_ALL = 60_000

const SECRET_KEY = 'test-secret-key-0123456789-abcdefghijklmnop'
const SLOW_TEXT = Array.from({ length: 40 }, (_, i) => `Point ${i + 1}: lead with the offer, then the proof.`).join(' ')
const slowFakeOptions = {
  text: SLOW_TEXT,
  chunks: 80,
  chunkDelayMs: 150,
  usage: { prompt_tokens: 900, completion_tokens: 500 },
}

/** The ledger of one workspace, read from the database: the account, what its entries and pending holds sum to, debits per request id. */
const ledgerOf = async (db: Db, workspaceId: string) => {
  const account = await db
    .selectFrom('creditAccounts')
    .select(['balance', 'held'])
    .where('workspaceId', '=', workspaceId)
    .executeTakeFirstOrThrow()
  const {
    rows: [sums],
  } = await sql<{ entries: bigint; pending: bigint }>`SELECT
      (SELECT coalesce(sum(amount), 0)::bigint FROM credit_entries WHERE workspace_id = ${workspaceId}) AS entries,
      (SELECT coalesce(sum(amount), 0)::bigint FROM credit_holds WHERE workspace_id = ${workspaceId} AND status = 'pending') AS pending`.execute(
    db,
  )
  const { rows: doubled } = await sql<{ requestId: string }>`SELECT request_id FROM credit_entries
      WHERE workspace_id = ${workspaceId} AND kind = 'debit' GROUP BY request_id HAVING count(*) > 1`.execute(db)
  // A resolved hold has exactly one debit, of its charge; a pending one has none.
  const { rows: mismatched } = await sql<{ id: string }>`SELECT h.id FROM credit_holds h
      LEFT JOIN credit_entries e ON e.hold_id = h.id AND e.kind = 'debit'
      WHERE h.workspace_id = ${workspaceId} GROUP BY h.id
      HAVING (h.status = 'pending' AND count(e.id) <> 0)
        OR (h.status <> 'pending' AND (count(e.id) <> 1 OR min(-e.amount) IS DISTINCT FROM h.charged))`.execute(db)
  return {
    balance: account.balance,
    held: account.held,
    available: account.balance - account.held,
    entries: sums!.entries,
    pending: sums!.pending,
    doubled,
    mismatched,
  }
}

/** The invariants of TRUST.md "Money and credits" for one workspace; returns the account. */
const expectConsistentLedger = async (db: Db, workspaceId: string) => {
  const l = await ledgerOf(db, workspaceId)
  expect(l.entries).toBe(l.balance)
  expect(l.pending).toBe(l.held)
  expect(l.available).toBeGreaterThanOrEqual(0n)
  expect(l.doubled).toEqual([])
  expect(l.mismatched).toEqual([])
  return l
}

/** Reads balance − held from its own connection until stopped (resolves once it has read once): the lowest a reader ever saw. */
const watchAvailable = async (connectionString: string, workspaceId: string) => {
  const client = new pg.Client({ connectionString })
  await client.connect()
  let running = true
  let lowest: bigint | null = null
  let reads = 0
  let first!: () => void
  const started = new Promise<void>((ok) => {
    first = ok
  })
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ available: string }>(
        'SELECT (balance - held)::text AS available FROM credit_accounts WHERE workspace_id = $1',
        [workspaceId],
      )
      const available = BigInt(rows[0]!.available)
      if (lowest === null || available < lowest) lowest = available
      reads++
      first()
      await sleep(5)
    }
  })()
  await Promise.race([started, loop])
  return async () => {
    running = false
    await loop.finally(() => client.end())
    return { lowest, reads }
  }
}

/** A Server-Sent Events response read as it arrives: the events so far, a wait for a condition on them, the end. */
const follow = (res: Response) => {
  const messages: EventSourceMessage[] = []
  const reader = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        messages.push(value)
      }
    } catch {
      /* the server went away */
    }
  })()
  const until = async (check: () => boolean, what: string, ms = CATCH_ALL) => {
    const deadline = Date.now() + ms
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`stream: ${what} not seen in ${ms} ms; got ${messages.length} events`)
      await sleep(20)
    }
  }
  return {
    /** Named events (the app's chat stream). */
    events: (): SseEvent[] => messages.map(sseEvent),
    /** `data:` payloads (OpenAI's stream), without the final `[DONE]`. */
    chunks: () =>
      messages
        .map((m) => m.data)
        .filter((d) => d !== '[DONE]')
        .map((d) => JSON.parse(d) as { choices: { delta: { content?: string } }[] }),
    until,
    ended,
  }
}
const contentOf = (chunks: { choices: { delta: { content?: string } }[] }[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')

describe.skipIf(driver !== 'postgres')('credits under concurrency, through HTTP (postgres)', () => {
  describe('/v1 calls racing for the same balance on two servers', () => {
    let ctx: TestContext
    let replica: TestContext
    let fake: FakeOpenAI
    let bases: [string, string]
    let messages: { role: 'user'; content: string }[]
    const MAX_TOKENS = 200

    beforeAll(async () => {
      // Each call is charged exactly its estimate, so no settle frees credits for a later call: whatever the
      // interleaving of holds and settles, the balance covers exactly 50 calls. The hold is
      // ⌈(30 · prompt + 120 · max_tokens) × 1.25⌉ micro-credits; with the prompt a multiple of 16 tokens, reporting
      // (prompt, prompt / 16 + 1.25 · max_tokens) tokens costs exactly that. The first call below checks it.
      let content = 'Write a tagline for a neighbourhood bakery'
      while (encode(JSON.stringify([{ role: 'user', content }])).length % 16 !== 0) content += ' please'
      messages = [{ role: 'user', content }]
      const prompt = encode(JSON.stringify(messages)).length
      fake = await startFakeOpenAI({
        text: 'Fresh every morning, gone by noon.',
        firstTokenDelayMs: 300,
        usage: { prompt_tokens: prompt, completion_tokens: prompt / 16 + (MAX_TOKENS * 5) / 4 },
      })
      const env = { OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.url, DATABASE_POOL_SIZE: '16' }
      ctx = await createTestContext(env)
      // A second server on the same database, as a second replica: its ledger meets the first one's only in PostgreSQL.
      replica = await createTestContext({ ...env, DATABASE_URL: ctx.container.database.connectionString! })
      bases = [
        await ctx.app.listen({ port: 0, host: '127.0.0.1' }),
        await replica.app.listen({ port: 0, host: '127.0.0.1' }),
      ]
    }, CATCH_ALL)
    afterAll(async () => {
      await replica?.close()
      await ctx?.close()
      await fake?.close()
    })

    /** Call `i` goes to one server or the other, alternately. */
    const v1 = (token: string, workspaceId: string, requestId: string, i = 0) =>
      fetch(`${bases[i % 2]}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-workspace-id': workspaceId,
          'x-request-id': requestId,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: MAX_TOKENS }),
      })
    const read = async (res: Response) => ({
      status: res.status,
      requestId: res.headers.get('x-request-id'),
      replayed: res.headers.get('x-request-replayed'),
      estimate: res.headers.get('x-credits-estimate'),
      charged: res.headers.get('x-credits-charged'),
      body: (await res.json()) as { id?: string; error?: { code: string; message: string } },
    })

    it('lets exactly the 50 calls the balance covers through out of 200 at once, never below zero, one debit each', async () => {
      const o = await onboard(ctx.app, 'crowd')
      const { token } = await createToken(ctx.app, o.user)
      const probe = await read(await v1(token, o.workspaceId, 'crowd-probe-0001'))
      expect(probe.status).toBe(200)
      const estimate = BigInt(probe.estimate!)
      expect(estimate).toBeGreaterThan(0n)
      expect(BigInt(probe.charged!), 'the fake is set up so a call costs exactly its hold').toBe(estimate)

      const { ledger } = ctx.container.credits
      const before = await ledger.balance(ctx.container.db, o.workspaceId)
      await ledger.post(ctx.container.db, {
        workspaceId: o.workspaceId,
        kind: 'adjustment',
        amount: 50n * estimate - before.available,
        requestId: 'crowd-set-balance',
        reason: 'test: 50 calls',
      })
      expect(await ledger.balance(ctx.container.db, o.workspaceId)).toEqual({
        balance: 50n * estimate,
        held: 0n,
        available: 50n * estimate,
      })
      const calls = fake.completions().length
      const stop = await watchAvailable(ctx.container.database.connectionString!, o.workspaceId)

      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) =>
          read(await v1(token, o.workspaceId, `crowd-call-${String(i).padStart(4, '0')}`, i)),
        ),
      )

      const watched = await stop()
      const ok = results.filter((r) => r.status === 200)
      const refused = results.filter((r) => r.status !== 200)
      expect(ok).toHaveLength(50)
      expect(refused.map((r) => `${r.status} ${r.body.error?.code}`)).toEqual(
        Array(150).fill('402 credits.insufficient'),
      )
      expect(ok.every((r) => BigInt(r.charged!) === estimate && r.replayed === null)).toBe(true)
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(50)
      expect(fake.completions().length - calls).toBe(50)
      expect(watched.reads).toBeGreaterThan(0)
      expect(watched.lowest).toBeGreaterThanOrEqual(0n)

      const l = await expectConsistentLedger(ctx.container.db, o.workspaceId)
      expect({ balance: l.balance, held: l.held }).toEqual({ balance: 0n, held: 0n })
      const debits = await ctx.container.db
        .selectFrom('creditEntries')
        .select(['requestId', 'amount'])
        .where('workspaceId', '=', o.workspaceId)
        .where('kind', '=', 'debit')
        .where('requestId', 'like', 'crowd-call-%')
        .orderBy('requestId')
        .execute()
      expect(debits).toEqual(
        ok
          .map((r) => r.requestId)
          .sort()
          .map((requestId) => ({ requestId, amount: -estimate })),
      )
      const holds = await ctx.container.db
        .selectFrom('creditHolds')
        .select(['requestId', 'status', 'charged'])
        .where('workspaceId', '=', o.workspaceId)
        .where('requestId', 'like', 'crowd-call-%')
        .execute()
      expect(holds).toHaveLength(50)
      expect(holds.every((h) => h.status === 'settled' && h.charged === estimate)).toBe(true)
    }, 180_000)

    it('runs one X-Request-ID sent 100 times at once exactly once: one upstream call, one hold, one debit', async () => {
      const o = await onboard(ctx.app, 'dupes')
      const { token } = await createToken(ctx.app, o.user)
      const requestId = 'dupe-request-0001'
      const calls = fake.completions().length
      const before = await ctx.container.credits.ledger.balance(ctx.container.db, o.workspaceId)

      const results = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => read(await v1(token, o.workspaceId, requestId, i))),
      )

      expect(fake.completions().length - calls).toBe(1)
      const ok = results.filter((r) => r.status === 200)
      const running = results.filter((r) => r.status === 409)
      expect(ok.length + running.length).toBe(100)
      // The original answers 200; a duplicate that arrives while it runs gets 409 "still running", one that arrives
      // after it finished the stored completion (200, replayed). Observed on a 2-core machine: 1 × 200, 99 × 409.
      expect(
        running.every(
          (r) => r.body.error?.code === 'request.not_replayable' && /still running/.test(r.body.error.message),
        ),
      ).toBe(true)
      expect(ok.filter((r) => r.replayed === null)).toHaveLength(1)
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(1)
      const completionId = ok[0]!.body.id

      const holds = await ctx.container.db
        .selectFrom('creditHolds')
        .select(['id', 'status', 'charged', 'amount'])
        .where('workspaceId', '=', o.workspaceId)
        .where('requestId', '=', requestId)
        .execute()
      expect(holds).toHaveLength(1)
      expect(holds[0]).toMatchObject({ status: 'settled' })
      const debits = await ctx.container.db
        .selectFrom('creditEntries')
        .select(['amount', 'holdId'])
        .where('workspaceId', '=', o.workspaceId)
        .where('kind', '=', 'debit')
        .execute()
      expect(debits).toEqual([{ amount: -holds[0]!.charged!, holdId: holds[0]!.id }])
      const l = await expectConsistentLedger(ctx.container.db, o.workspaceId)
      expect({ balance: l.balance, held: l.held }).toEqual({ balance: before.balance - holds[0]!.charged!, held: 0n })

      const again = await read(await v1(token, o.workspaceId, requestId, 1))
      expect(again).toMatchObject({ status: 200, replayed: 'true', charged: String(holds[0]!.charged) })
      expect(again.body.id).toBe(completionId)
      expect(fake.completions().length - calls).toBe(1)
      expect(await ledgerOf(ctx.container.db, o.workspaceId)).toMatchObject({ balance: l.balance, held: 0n })
    }, 180_000)
  })

  describe('a server process killed in the middle of an answer', () => {
    let fake: FakeOpenAI
    let database: Awaited<ReturnType<typeof createTestDatabaseUrl>>
    let server: ServerProcess | undefined
    const others: TestContext[] = []

    beforeAll(async () => {
      fake = await startFakeOpenAI(slowFakeOptions)
      database = await createTestDatabaseUrl()
    }, CATCH_ALL)
    afterAll(async () => {
      await server?.kill()
      for (const c of others) await c.close()
      await fake?.close()
      await database?.drop()
    }, CATCH_ALL)

    /** `node src/main.ts` (serve, no worker) on the test database, as production starts it. */
    const startServer = () =>
      startServerProcess({
        DATABASE_URL: database.url!,
        OPENAI_API_KEY: 'sk-test-key',
        OPENAI_BASE_URL: fake.url,
        CREDITS_HOLD_TTL_SECONDS: '2',
        SECRET_KEY,
        INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      })

    it('leaves its holds pending; after their TTL the sweeper of another process settles them once, charging the prompt and what was streamed', async () => {
      server = await startServer()
      const { base } = server
      const send = (
        method: string,
        path: string,
        as: { cookie?: string; token?: string; headers?: Record<string, string> },
        body?: unknown,
      ) =>
        fetch(`${base}${path}`, {
          method,
          headers: {
            origin: base,
            ...(as.cookie ? { cookie: as.cookie } : {}),
            ...(as.token ? { authorization: `Bearer ${as.token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...as.headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      const email = `killed-${Date.now().toString(36)}@example.test`
      const signup = await send(
        'POST',
        '/api/auth/signup',
        {},
        { email, password: 'correct horse killed battery', name: 'killed' },
      )
      expect(signup.status).toBe(201)
      const cookie = signup.headers.getSetCookie()[0]!.split(';')[0]!
      // Welcome credits go to verified people: the link of the stored verification email, as the operator lists it.
      const outbox = await send('GET', `/api/operator/emails?to=${encodeURIComponent(email)}`, {
        headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
      })
      const link = ((await outbox.json()) as { items: { link: string }[] }).items[0]!.link
      expect(
        (await send('POST', '/api/auth/verify-email', {}, { token: new URL(link).searchParams.get('token') })).status,
      ).toBe(200)
      const onboarding = await send(
        'POST',
        '/api/auth/onboarding',
        { cookie },
        { workspaceName: 'Killed agency', clientName: 'Killed client' },
      )
      expect(onboarding.status).toBe(201)
      const { workspace, client } = (await onboarding.json()) as { workspace: { id: string }; client: { id: string } }
      const conversation = await send(
        'POST',
        '/api/chat/conversations',
        { cookie, headers: { 'x-client-id': client.id } },
        { agentId: 'builtin.copywriter' },
      )
      expect(conversation.status).toBe(201)
      const conversationId = ((await conversation.json()) as { id: string }).id
      const token = (
        (await (await send('POST', '/api/tokens', { cookie }, { name: 'killed' })).json()) as { token: string }
      ).token

      // An answer in the app and a /v1 stream, both mid-way when the process dies.
      const chatRes = await send(
        'POST',
        `/api/chat/conversations/${conversationId}/messages`,
        { cookie, headers: { 'x-request-id': 'killed-chat-0001' } },
        { content: 'Give me forty points for our launch.' },
      )
      expect(chatRes.status).toBe(200)
      const chat = follow(chatRes)
      const v1Res = await send(
        'POST',
        '/v1/chat/completions',
        { token, headers: { 'x-workspace-id': workspace.id, 'x-request-id': 'killed-v1-00001' } },
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Forty points, please.' }],
          stream: true,
          max_tokens: 1000,
        },
      )
      expect(v1Res.status).toBe(200)
      const v1 = follow(v1Res)
      await chat.until(() => chat.events().filter((e) => e.event === 'delta').length >= 2, 'two deltas of the answer')
      await v1.until(() => contentOf(v1.chunks()).length > 0, 'content from /v1')
      // Long enough for the /v1 stream to have saved its progress (every 2 s) at least once.
      await sleep(2600)
      const received = textOf(chat.events())

      await server.kill()
      await Promise.all([chat.ended, v1.ended])
      expect(chat.events().some((e) => e.event === 'usage' || e.event === 'done')).toBe(false)
      expect(received.length).toBeGreaterThan(0)
      expect(received.length).toBeLessThan(SLOW_TEXT.length)

      // Another process on the same database (two, to sweep at the same time).
      const env = {
        DATABASE_URL: database.url!,
        OPENAI_API_KEY: 'sk-test-key',
        OPENAI_BASE_URL: fake.url,
        CREDITS_HOLD_TTL_SECONDS: '2',
      }
      const second = await createTestContext(env)
      others.push(second)
      const third = await createTestContext(env)
      others.push(third)
      const { db } = second.container
      const holdsOf = () =>
        db.selectFrom('creditHolds').selectAll().where('workspaceId', '=', workspace.id).orderBy('requestId').execute()
      const pending = await holdsOf()
      expect(pending.map((h) => [h.requestId, h.status])).toEqual([
        ['killed-chat-0001', 'pending'],
        ['killed-v1-00001', 'pending'],
      ])
      const heldBefore = await ledgerOf(db, workspace.id)
      expect(heldBefore.held).toBe(pending.reduce((s, h) => s + h.amount, 0n))
      expect(heldBefore.held).toBeGreaterThan(0n)
      expect(
        await db
          .selectFrom('creditEntries')
          .select('id')
          .where('workspaceId', '=', workspace.id)
          .where('kind', '=', 'debit')
          .execute(),
      ).toEqual([])

      // Nothing is swept before the TTL; then the job of one process and the sweep of another race for the holds.
      const lastExpiry = Math.max(...pending.map((h) => h.expiresAt.getTime()))
      expect(
        await second.container.credits.metering.sweepExpired(
          (id) => second.container.models.priceableModel(id),
          new Date(Math.min(...pending.map((h) => h.expiresAt.getTime())) - 1),
        ),
      ).toBe(0)
      while (Date.now() <= lastExpiry + 50) await sleep(100)
      const job = second.container.jobs.find((j) => j.name === 'credits.sweep-expired-holds') as JobDefinition
      await Promise.all([
        job.handler({}),
        third.container.credits.metering.sweepExpired((id) => third.container.models.priceableModel(id)),
      ])

      const [chatHold, v1Hold] = (await holdsOf()) as [(typeof pending)[number], (typeof pending)[number]]
      expect(chatHold.status).toBe('expired')
      expect(v1Hold.status).toBe('expired')
      // The answer is charged for its prompt and what it had streamed (its stored deltas, which include what the client saw).
      const run = await db
        .selectFrom('runs')
        .innerJoin('messages', 'messages.runId', 'runs.id')
        .select('runs.id')
        .where('messages.requestId', '=', 'killed-chat-0001')
        .where('messages.role', '=', 'assistant')
        .executeTakeFirstOrThrow()
      const stored = (
        await db
          .selectFrom('runEvents')
          .select('data')
          .where('runId', '=', run.id)
          .where('type', '=', 'delta')
          .orderBy('seq')
          .execute()
      )
        .map((d) => String(d.data.text))
        .join('')
      expect(stored.startsWith(received)).toBe(true)
      expect(SLOW_TEXT.startsWith(stored) && stored.length < SLOW_TEXT.length).toBe(true)
      expect(chatHold.charged).toBe(BigInt(expectedCharge(chatHold.inputTokens, encode(stored).length)))
      expect(chatHold.charged!).toBeGreaterThan(BigInt(expectedCharge(chatHold.inputTokens, 0)))
      expect(chatHold.charged!).toBeLessThan(BigInt(expectedCharge(chatHold.inputTokens, encode(SLOW_TEXT).length)))
      // /v1 saves what it has sent every 2 s: charged for its prompt and that, which is a prefix of what the client got.
      const progress = (
        await db
          .selectFrom('streamProgress')
          .select('output')
          .where('workspaceId', '=', workspace.id)
          .where('requestId', '=', 'killed-v1-00001')
          .executeTakeFirstOrThrow()
      ).output
      expect(progress.length).toBeGreaterThan(0)
      expect(contentOf(v1.chunks()).startsWith(progress)).toBe(true)
      expect(v1Hold.charged).toBe(BigInt(expectedCharge(v1Hold.inputTokens, encode(progress).length)))
      expect(v1Hold.charged!).toBeGreaterThan(BigInt(expectedCharge(v1Hold.inputTokens, 0)))

      const debits = await db
        .selectFrom('creditEntries')
        .select(['requestId', 'amount', 'holdId', 'reason'])
        .where('workspaceId', '=', workspace.id)
        .where('kind', '=', 'debit')
        .orderBy('requestId')
        .execute()
      expect(debits).toEqual([
        {
          requestId: 'killed-chat-0001',
          amount: -chatHold.charged!,
          holdId: chatHold.id,
          reason: expect.stringMatching(/expiry/),
        },
        {
          requestId: 'killed-v1-00001',
          amount: -v1Hold.charged!,
          holdId: v1Hold.id,
          reason: expect.stringMatching(/expiry/),
        },
      ])
      const after = await expectConsistentLedger(db, workspace.id)
      expect({ balance: after.balance, held: after.held }).toEqual({
        balance: heldBefore.balance - chatHold.charged! - v1Hold.charged!,
        held: 0n,
      })

      // Sweeping again, from either process, changes nothing.
      const snapshot = async () => ({
        holds: await holdsOf(),
        entries: await db
          .selectFrom('creditEntries')
          .selectAll()
          .where('workspaceId', '=', workspace.id)
          .orderBy('seq')
          .execute(),
        ledger: await ledgerOf(db, workspace.id),
      })
      const settled = await snapshot()
      await job.handler({})
      expect(
        await third.container.credits.metering.sweepExpired((id) => third.container.models.priceableModel(id)),
      ).toBe(0)
      expect(await snapshot()).toEqual(settled)
    }, 240_000)
  })

  describe('an answer stopped by the user', () => {
    let ctx: TestContext
    let fake: FakeOpenAI
    let base: string

    beforeAll(async () => {
      fake = await startFakeOpenAI(slowFakeOptions)
      ctx = await createTestContext({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.url })
      base = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    }, CATCH_ALL)
    afterAll(async () => {
      await ctx?.close()
      await fake?.close()
    })

    it('is charged for what was generated: more than nothing, less than the whole answer, debited once and the hold settled', async () => {
      const o = await onboard(ctx.app, 'stopper')
      const as = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const conversationId = (
        await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })
      ).json().id as string
      const before = await ctx.container.credits.ledger.balance(ctx.container.db, o.workspaceId)

      const res = await fetch(`${base}/api/chat/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: {
          cookie: o.user.cookie,
          origin: ORIGIN,
          'content-type': 'application/json',
          'x-request-id': 'stopped-chat-0001',
        },
        body: JSON.stringify({ content: 'Give me forty points for our launch.' }),
      })
      expect(res.status).toBe(200)
      const stream = follow(res)
      await stream.until(() => stream.events().filter((e) => e.event === 'delta').length >= 3, 'three deltas')
      const cancel = await call(ctx.app, 'POST', `/api/chat/conversations/${conversationId}/cancel`, {
        cookie: o.user.cookie,
      })
      expect(cancel.json()).toEqual({ cancelled: true })
      await stream.until(() => stream.events().some((e) => e.event === 'done'), 'the end of the answer')
      await stream.ended

      const events = stream.events()
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'cancelled' } })
      const text = textOf(events)
      expect(text.length).toBeGreaterThan(0)
      expect(SLOW_TEXT.startsWith(text) && text.length < SLOW_TEXT.length).toBe(true)
      const usage = events.find((e) => e.event === 'usage')!.data as {
        usage: { inputTokens: number; outputTokens: number }
        charged: number
      }
      expect(usage.usage.outputTokens).toBe(encode(text).length)
      const full = expectedCharge(usage.usage.inputTokens, encode(SLOW_TEXT).length)
      expect(usage.charged).toBe(expectedCharge(usage.usage.inputTokens, usage.usage.outputTokens))
      expect(usage.charged).toBeGreaterThan(expectedCharge(usage.usage.inputTokens, 0))
      expect(usage.charged).toBeLessThan(full)

      const saved = (await call(ctx.app, 'GET', `/api/chat/conversations/${conversationId}/messages`, as))
        .json()
        .items.at(-1)
      expect(saved).toMatchObject({ status: 'cancelled', content: text })
      const holds = await ctx.container.db
        .selectFrom('creditHolds')
        .select(['id', 'status', 'charged'])
        .where('workspaceId', '=', o.workspaceId)
        .execute()
      expect(holds).toEqual([{ id: expect.any(String), status: 'settled', charged: BigInt(usage.charged) }])
      const debits = await ctx.container.db
        .selectFrom('creditEntries')
        .select(['requestId', 'amount', 'holdId'])
        .where('workspaceId', '=', o.workspaceId)
        .where('kind', '=', 'debit')
        .execute()
      expect(debits).toEqual([{ requestId: 'stopped-chat-0001', amount: BigInt(-usage.charged), holdId: holds[0]!.id }])
      const recorded = await ctx.container.db
        .selectFrom('modelCalls')
        .select(['status', 'charged'])
        .where('workspaceId', '=', o.workspaceId)
        .where('requestId', '=', 'stopped-chat-0001')
        .executeTakeFirstOrThrow()
      expect(recorded).toEqual({ status: 'cancelled', charged: BigInt(usage.charged) })
      const l = await expectConsistentLedger(ctx.container.db, o.workspaceId)
      expect({ balance: l.balance, held: l.held }).toEqual({
        balance: before.balance - BigInt(usage.charged),
        held: 0n,
      })
    }, 120_000)
  })
})
