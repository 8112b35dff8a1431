import { randomBytes } from 'node:crypto'
import { sql, type Kysely, type UpdateObject } from 'kysely'
import { SendFailure, type Outgoing } from '../channels/driver.ts'
import type { SendLimits } from '../channels/limits.ts'
import type { Sender } from '../channels/sender.ts'
import { createBreaker, type Breaker, type BreakerSettings } from './breaker.ts'
import type { InboxTables, MessageRow } from './inbox.tables.ts'
import type { InboxLive } from './live.ts'
import { claimDue, type Claimed } from './claims.ts'
import { withSpan } from '../../platform/observability/tracing.ts'
import type { Pacer } from './pacer.ts'

export type OutboxSettings = {
  /** Messages claimed per number and round. */
  batch: number
  /** Sends of one number in flight in this process at once. */
  maxInflight: number
  /** A claimed message is due again this long after its claim (its process died): longer than a send can take. */
  leaseMs: number
  /** After an attempt whose outcome is unknown, how long to wait for the provider's status echo before resending. */
  graceMs: number
  /** The fallback when no wake-up comes. */
  pollMs: number
  /** Attempts before a message that keeps failing transiently is dead (failed, for the operators to replay). */
  maxAttempts: number
  /** When failures spike, the number's sends pause (its circuit breaker). */
  breaker?: BreakerSettings
}
export const OUTBOX_DEFAULTS: OutboxSettings = {
  batch: 20,
  maxInflight: 64,
  leaseMs: 30_000,
  graceMs: 10_000,
  pollMs: 1000,
  maxAttempts: 8,
}
/** Meta's pair rate: about one message every 6 s to the same person (131056) when it names no Retry-After. */
const PAIR_DELAY_MS = 6000
const BACKOFF_BASE_MS = 5000
/** How long a number pauses after a 130429 without Retry-After (Meta refills its bucket continuously). */
const THROUGHPUT_PAUSE_MS = 250
const BACKOFF_MAX_MS = 5 * 60_000
/** Below this, waiting for tokens is not worth a round (the bucket refills a batch meanwhile). */
const MIN_WAIT_MS = 20
/** Codes whose attempt may have reached the provider although no answer came. */
const UNCERTAIN = new Set(['whatsapp.timeout', 'whatsapp.network', 'inbox.send_error'])

export const WAKE_CHANNEL = 'inbox:outbox'

const outgoingOf = (m: MessageRow): Outgoing | undefined => {
  const c = m.content
  if (c.type === 'text') return { to: m.chatId, content: { type: 'text', text: c.text }, replyTo: m.replyTo }
  if (c.type === 'template')
    return {
      to: m.chatId,
      content: { type: 'template', name: c.name, language: c.language, components: c.components },
      replyTo: m.replyTo,
    }
  return undefined
}

/** Exponential backoff with ±20 % jitter, at least what the provider asked for. */
export const backoffMs = (attempts: number, retryAfterMs = 0, random = Math.random(), baseMs = BACKOFF_BASE_MS) =>
  Math.max(retryAfterMs, Math.min(baseMs * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS) * (0.8 + 0.4 * random))

export type Outcome = 'sent' | 'retry' | 'uncertain' | 'paced' | 'failed' | 'dead'

/**
 * The outbox's dispatcher (ADR 0005, "Outbox"): claims due messages with `FOR UPDATE SKIP LOCKED` for the numbers this
 * process can send from (Cloud numbers, and the QR numbers its sessions drive), paced by each number's token bucket,
 * and acts on each outcome. Every process that works jobs runs one; they share the work without sending a message
 * twice: a claim commits the attempt (its number and start) before the provider is called, and an attempt whose
 * outcome is unknown is resent only after the grace has passed without the provider's status echo.
 */
export const createDispatcher = ({
  db,
  sender,
  limits,
  pacer,
  live,
  settings = OUTBOX_DEFAULTS,
  breaker = createBreaker(),
  onTrip = () => undefined,
  observe = () => undefined,
  now = Date.now,
  random = Math.random,
  log = (m: string, err?: unknown) => console.error(`[outbox] ${m}`, err ?? ''),
}: {
  db: Kysely<InboxTables>
  sender: Pick<Sender, 'send' | 'drivenHere'>
  limits: { of(channelIds: string[]): Promise<Map<string, SendLimits>> }
  pacer: Pacer
  live: InboxLive
  settings?: OutboxSettings
  /** Pauses a number whose sends keep failing (issue 13 §6); `onTrip` is told (an audit event). */
  breaker?: Breaker
  onTrip?: (m: MessageRow, failure: SendFailure | undefined, untilMs: number) => unknown
  /** Told each attempt's outcome (/metrics). */
  observe?: (m: MessageRow, outcome: Outcome) => void
  now?: () => number
  random?: () => number
  log?: (m: string, err?: unknown) => void
}) => {
  const me = `${process.pid}:${randomBytes(4).toString('hex')}`
  const inflight = new Map<string, number>()
  const running = new Set<Promise<void>>()
  let loop: Promise<void> | undefined
  let stopped = true
  let wake: (() => void) | undefined

  /** The end of an attempt, written only while the message is still this attempt's (fenced by its number). */
  const settle = (m: MessageRow, set: UpdateObject<InboxTables, 'inboxMessages'>) =>
    db
      .updateTable('inboxMessages')
      .set(set)
      .where('id', '=', m.id)
      .where('status', '=', 'queued')
      .where('attempts', '=', m.attempts)
      .returning(['clientId', 'threadId'])
      .executeTakeFirst()

  const fail = async (m: MessageRow, error: { code: string; message: string }, dead: boolean) => {
    const at = new Date(now())
    const row = await settle(m, {
      status: 'failed',
      statusAt: at,
      error: JSON.stringify(error),
      nextAttemptAt: null,
      sendStartedAt: null,
      echoWaitUntil: null,
      claimedBy: null,
      ...(dead ? { deadAt: at } : {}),
    })
    if (row) live.publish(row.clientId, [row.threadId])
  }

  /** One attempt of a claimed message: the provider is called, its answer stored or acted on. */
  const attemptOnce = async (m: MessageRow): Promise<{ outcome: Outcome; failure?: SendFailure }> => {
    const outgoing = outgoingOf(m)
    if (!outgoing) {
      await fail(m, { code: 'inbox.unsupported', message: 'Only texts and templates are sent for now.' }, false)
      return { outcome: 'failed' }
    }
    let failure: SendFailure
    try {
      const { providerMessageId } = await sender.send(m.channelId, outgoing, m.id)
      // Written whatever the attempt's number: the message went out, and a status echo may have named it already.
      await db
        .updateTable('inboxMessages')
        .set((eb) => ({
          providerMessageId: eb.fn.coalesce('providerMessageId', eb.val(providerMessageId)),
          status: sql<'sent'>`case when status = 'queued' then 'sent' else status end`,
          statusAt: sql<Date>`case when status = 'queued' then ${new Date(now())} else status_at end`,
          nextAttemptAt: null,
          sendStartedAt: null,
          echoWaitUntil: null,
          claimedBy: null,
        }))
        .where('id', '=', m.id)
        .execute()
      live.publish(m.clientId, [m.threadId])
      return { outcome: 'sent' }
    } catch (err) {
      if (!(err instanceof SendFailure)) log(`send ${m.id}`, err)
      failure = err instanceof SendFailure ? err : new SendFailure('retry_later', 'inbox.send_error', String(err))
    }
    const at = now()
    const error = { code: failure.code, message: failure.message }
    if (failure.kind === 'needs_template' || failure.kind === 'permanent') {
      await fail(m, error, false)
      return { outcome: 'failed', failure }
    }
    if (failure.kind === 'pace_recipient') {
      // Not the message's fault: the attempt does not count, and every queued message to that person waits.
      const until = new Date(at + (failure.retryAfterMs ?? PAIR_DELAY_MS))
      await settle(m, { attempts: m.attempts - 1, sendStartedAt: null, claimedBy: null, nextAttemptAt: until })
      await delayRecipient(m, until)
      return { outcome: 'paced', failure }
    }
    if (m.attempts >= settings.maxAttempts) {
      await fail(m, error, true)
      return { outcome: 'dead', failure }
    }
    if (UNCERTAIN.has(failure.code)) {
      // The provider may have it: keep the attempt open and wait for its status echo before sending again.
      const until = new Date(at + settings.graceMs)
      await settle(m, { echoWaitUntil: until, nextAttemptAt: until, claimedBy: null, error: JSON.stringify(error) })
      return { outcome: 'uncertain', failure }
    }
    // Throughput (130429) is the number's state, not the message's: the whole number pauses briefly and the message
    // retries soon after; anything else backs off from 5 s.
    const throughput = failure.code === 'whatsapp.130429'
    if (throughput) await pacer.pause(m.channelId, at + (failure.retryAfterMs ?? THROUGHPUT_PAUSE_MS))
    await settle(m, {
      sendStartedAt: null,
      claimedBy: null,
      error: JSON.stringify(error),
      nextAttemptAt: new Date(
        at + backoffMs(m.attempts, failure.retryAfterMs, random(), throughput ? THROUGHPUT_PAUSE_MS : BACKOFF_BASE_MS),
      ),
    })
    return { outcome: 'retry', failure }
  }

  const delayRecipient = (m: MessageRow, until: Date) =>
    db
      .updateTable('inboxMessages')
      .set((eb) => ({ nextAttemptAt: eb.fn('greatest', [eb.ref('nextAttemptAt'), eb.val(until)]) }))
      .where('channelId', '=', m.channelId)
      .where('chatId', '=', m.chatId)
      .where('direction', '=', 'out')
      .where('status', '=', 'queued')
      .where('sendStartedAt', 'is', null)
      .execute()

  /** A claimed message not attempted after all (its recipient was paced meanwhile): back, uncounted. */
  const release = (m: MessageRow) =>
    settle(m, {
      attempts: m.attempts - 1,
      sendStartedAt: null,
      claimedBy: null,
      nextAttemptAt: sql<Date>`greatest(next_attempt_at, ${new Date(now())})`,
    })

  /** The attempt as a span (`outbox.send`): number, message kind, outcome; the message id as its request id. */
  const attempt = (m: MessageRow) =>
    withSpan(
      'outbox.send',
      { 'camarad.channel_id': m.channelId, 'camarad.message_kind': m.type, 'camarad.message_id': m.id },
      async (span) => {
        const done = await attemptOnce(m)
        span.setAttribute('camarad.outcome', done.outcome)
        if (done.failure) span.setAttribute('error.type', done.failure.code)
        return done
      },
      { requestId: m.id },
    )

  /** The breaker's part: failures of the number (not a paced recipient, not a template needed) may pause it. */
  const judge = async (m: MessageRow, outcome: Outcome, failure: SendFailure | undefined) => {
    if (outcome === 'paced' || failure?.kind === 'needs_template') return
    if (!breaker.record(m.channelId, outcome === 'sent')) return
    const until = now() + breaker.settings.openMs
    await pacer.pause(m.channelId, until)
    await Promise.resolve(onTrip(m, failure, until)).catch((err: unknown) => log('onTrip', err))
  }

  /** Sends what was claimed: one chat's messages in order, chats side by side. */
  const sendClaimed = async (claimed: MessageRow[]) => {
    const chats = new Map<string, MessageRow[]>()
    for (const m of claimed) chats.set(m.chatId, [...(chats.get(m.chatId) ?? []), m])
    await Promise.all(
      [...chats.values()].map(async (ms) => {
        for (const [i, m] of ms.entries()) {
          const { outcome, failure } = await attempt(m).catch((err: unknown) => {
            log(`attempt ${m.id}`, err)
            return { outcome: 'uncertain' as const, failure: undefined }
          })
          observe(m, outcome)
          await judge(m, outcome, failure)
          if (outcome === 'paced') {
            for (const rest of ms.slice(i + 1)) await release(rest)
            return
          }
        }
      }),
    )
  }

  const launch = (channelId: string, claimed: MessageRow[]) => {
    inflight.set(channelId, (inflight.get(channelId) ?? 0) + claimed.length)
    const p: Promise<void> = sendClaimed(claimed)
      .catch((err: unknown) => log(`sending on ${channelId}`, err))
      .finally(() => {
        inflight.set(channelId, (inflight.get(channelId) ?? 0) - claimed.length)
        running.delete(p)
        wake?.()
      })
    running.add(p)
  }

  /**
   * One round: the numbers with due messages this process can send from, each paced by its bucket, claimed and
   * started. Answers whether anything was claimed, and how long nothing can be sent (a bucket's wait) otherwise.
   */
  const round = async () => {
    const at = now()
    const due = await db
      .selectFrom('inboxMessages')
      .select(['channelId', (eb) => eb.fn.countAll<string>().as('n')])
      .where('status', '=', 'queued')
      .where('direction', '=', 'out')
      .where('nextAttemptAt', '<=', new Date(at))
      .groupBy('channelId')
      .execute()
    let claimedAny = false
    let waitMs = settings.pollMs
    if (!due.length) return { claimedAny, waitMs }
    const known = await limits.of(due.map((d) => d.channelId))
    const drivenHere = new Set(sender.drivenHere())
    await Promise.all(
      due.map(async ({ channelId, n }) => {
        const l = known.get(channelId)
        if (!l || (l.kind === 'qr' && !drivenHere.has(channelId))) return
        const room = settings.maxInflight - (inflight.get(channelId) ?? 0)
        const wanted = Math.min(settings.batch, room, Number(n))
        if (wanted <= 0) return
        const t = await pacer.take(channelId, l, wanted, at, random())
        if (!t.granted) {
          waitMs = Math.min(waitMs, t.waitMs)
          return
        }
        const claimed: Claimed = await claimDue(db, {
          channelId,
          count: t.granted,
          at,
          me,
          settings,
          newContactsPerDay: l.newContactsPerDay,
          random,
        })
        await pacer.refund(channelId, l, t.granted - claimed.length)
        if (claimed.length) {
          claimedAny = true
          launch(channelId, claimed)
        }
      }),
    )
    return { claimedAny, waitMs }
  }

  const run = async () => {
    while (!stopped) {
      const r = await round().catch((err: unknown) => {
        log('round', err)
        return { claimedAny: false, waitMs: settings.pollMs }
      })
      if (stopped) break
      if (r.claimedAny) continue
      await new Promise<void>((ok) => {
        const timer = setTimeout(done, Math.max(MIN_WAIT_MS, r.waitMs))
        function done() {
          clearTimeout(timer)
          wake = undefined
          ok()
        }
        wake = done
      })
    }
  }

  return {
    round,
    attempt,
    /** Resolves when every send started so far has ended (tests, shutdown). */
    settled: async () => {
      while (running.size) await Promise.all([...running])
    },
    /**
     * Sends one message now if it is queued and no attempt of it is open (tests and operators; the dispatcher does
     * this for every due message): neither its due time nor its number's bucket is waited for. A transient failure
     * is thrown after it is recorded (the message stays queued with its next attempt).
     */
    async deliver(id: string) {
      const claimed = await claimDue(db, { id, at: now(), me, settings, newContactsPerDay: null, random })
      const m = claimed[0]
      if (!m) return
      const { outcome, failure } = await attempt(m)
      if ((outcome === 'retry' || outcome === 'uncertain' || outcome === 'paced') && failure) throw failure
    },
    /** Something became due (a send was queued here or elsewhere): the next round starts now. */
    wake: () => wake?.(),
    start() {
      if (!stopped) return
      stopped = false
      loop = run()
    },
    async stop(ms = 10_000) {
      stopped = true
      wake?.()
      await loop
      const until = new Promise((ok) => setTimeout(ok, ms).unref())
      await Promise.race([Promise.all([...running]), until])
    },
  }
}
export type Dispatcher = ReturnType<typeof createDispatcher>
