import { createHash } from 'node:crypto'
import { countTokens } from '../../platform/tokens/count-tokens.ts'
import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { CreditHold } from './credits.tables.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { Handle } from '../../platform/db/database.ts'
import {
  recordedCall,
  type CatalogEntry,
  type ModelCallCharge,
  type ModelCallRecord,
  type ModelTier,
  type NormalizedUsage,
} from '../models/models.module.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import { creditsErrors, modelAccessErrors } from './credits.errors.ts'
import type { Ledger, SettleOutcome, SettleRequest } from './ledger.ts'
import type { PriceBook } from './price-book.ts'
import { costPico, creditsFor, estimateCredits, picoToUsdMicro } from './pricing.ts'
import { traceMeteredCall } from './metering-span.ts'

/** Whether a plan may use a model tier: the plans catalog answers (a plan missing from it is treated as Free). */
/** What commits with a settle: the usage row, as a callback (`within`) or as its one statement (`record`). */
export type Along = Pick<SettleRequest, 'within' | 'record'>

export type AllowsModelTier = (plan: string, tier: ModelTier) => boolean

export type MeterInput = {
  workspaceId: string
  clientId: string | null
  userId: string
  tokenId: string | null
  surface: 'chat' | 'v1' | 'boardroom' | 'flow' | 'inbox' | 'crm' | 'knowledge'
  requestId: string
  entry: CatalogEntry
  billedBy: 'camarad' | 'workspace'
  /** The prompt as sent (system, history, tools): counted with `countTokens` for the estimate. */
  promptText: string
  maxOutputTokens: number
  streaming: boolean
  /** What makes this request this request: a replay with other parameters is a 409. */
  params: unknown
}

export type Estimate = {
  inputTokens: number
  maxOutputTokens: number
  credits: bigint
  modelId: string
  priceId: string
  rateId: string
  billedBy: 'camarad' | 'workspace'
}

export type MeteringOptions = {
  holdTtlMs: number
  rpmPerUser: number
  rpmPerWorkspace: number
  /** How long a process keeps a workspace's plan and throttle settings (5 s by default; 0 reads them on every call). */
  settingsTtlMs?: number
  /** Recovers what a call whose process died had generated (its surface stored it as it streamed). */
  recoverOutput?: Partial<Record<string, (hold: CreditHold) => Promise<string>>>
}

/** The request id of a call's n-th model step (n ≥ 2); the first step holds under the call's own request id. */
const stepRequestId = (requestId: string, n: number) => `${requestId}:step${n}`
const STEP = /^(.*):step(\d+)$/
const baseRequestId = (requestId: string) => STEP.exec(requestId)?.[1] ?? requestId

const hashParams = (params: unknown) =>
  createHash('sha256').update(JSON.stringify(params)).digest('base64url').slice(0, 32)
const minuteKey = (kind: string, id: string) => `credits:rpm:${kind}:${id}`

/**
 * The metered call, the same on every AI surface: estimate → hold → run → charge on the reported usage →
 * settle (debit the charge, free the rest). A request id seen before returns the first hold instead of a
 * second one, so a retry never charges twice.
 */
export const createMetering = ({
  db,
  ledger,
  book,
  counters,
  allowsModelTier,
  planOf,
  recordCall,
  options,
}: {
  db: Kysely<CreditsTables>
  ledger: Ledger
  /** The models module's usage record (`model_calls`), written in the surface's transaction. */
  recordCall: (trx: Handle, r: ModelCallRecord) => Promise<unknown>
  book: PriceBook
  counters: CounterStore
  allowsModelTier: AllowsModelTier
  /** Tenancy's answer: the workspace's plan (the plan gate). */
  planOf: (handle: Handle, workspaceId: string) => Promise<string | undefined>
  options: MeteringOptions
}) => {
  const estimate = async (
    entry: CatalogEntry,
    promptText: string,
    maxOutputTokens: number,
    billedBy: 'camarad' | 'workspace',
  ): Promise<Estimate> => {
    const [price, { live }] = await Promise.all([book.priceFor(entry), book.current()])
    const inputTokens = countTokens(promptText)
    const credits = billedBy === 'workspace' ? 0n : estimateCredits(price, live, inputTokens, maxOutputTokens)
    return { inputTokens, maxOutputTokens, credits, modelId: entry.id, priceId: price.id, rateId: live.id, billedBy }
  }

  /** Prices usage at the current versions: provider cost, our charge (nothing on the workspace's own key) and the shadow rate's. */
  const charge = async (
    holdId: string,
    entry: CatalogEntry,
    billedBy: 'camarad' | 'workspace',
    usage: NormalizedUsage,
  ): Promise<ModelCallCharge> => {
    const [price, { live, shadow }] = await Promise.all([book.priceFor(entry), book.current()])
    const pico = costPico(price, usage)
    return {
      holdId,
      costUsdMicro: picoToUsdMicro(pico),
      charged: billedBy === 'workspace' ? 0n : creditsFor(pico, live),
      shadowCharged: creditsFor(pico, shadow),
      priceId: price.id,
      rateId: live.id,
      shadowRateId: shadow.id,
    }
  }

  const recoverers = new Map(Object.entries(options.recoverOutput ?? {}))

  /**
   * Settles the holds of one call (its first hold, then one per further step) for what the whole call cost: each hold
   * in order takes what it covers, the last one the rest (an overage beyond all of them is logged by the ledger as usual).
   */
  const settleAcross = async (
    workspaceId: string,
    holds: CreditHold[],
    cost: bigint,
    resolution: 'settled' | 'expired',
    along?: Along,
  ) => {
    let left = cost
    let total: SettleOutcome | undefined
    for (const [i, h] of holds.entries()) {
      const share = i === holds.length - 1 ? left : left < h.amount ? left : h.amount
      left -= share
      const out = await ledger.settle({
        workspaceId,
        holdId: h.id,
        cost: share,
        resolution,
        ...(i === 0 ? along : undefined),
      })
      total = total
        ? {
            ...out,
            status: total.status,
            charged: total.charged + out.charged,
            uncollected: total.uncollected + out.uncollected,
            entryId: total.entryId,
            alreadyResolved: total.alreadyResolved && out.alreadyResolved,
          }
        : out
    }
    return total!
  }

  /**
   * The workspace's plan (tenancy's row) and throttle settings (its credit account, if opened), read from the
   * database: two statements sent together (one round trip's wait on PostgreSQL), only when the cache below misses.
   */
  const readSettings = async (workspaceId: string) => {
    const [plan, account] = await Promise.all([
      planOf(db, workspaceId),
      db
        .selectFrom('creditAccounts')
        .select(['requestsPerMinuteUser', 'requestsPerMinuteWorkspace'])
        .where('workspaceId', '=', workspaceId)
        .executeTakeFirst(),
    ])
    if (plan === undefined) throw new Error(`No workspace ${workspaceId}`)
    return {
      plan,
      requestsPerMinuteUser: account?.requestsPerMinuteUser ?? null,
      requestsPerMinuteWorkspace: account?.requestsPerMinuteWorkspace ?? null,
    }
  }
  type Settings = Awaited<ReturnType<typeof readSettings>>

  /**
   * The same settings kept `settingsTtlMs` per process: configuration only (the throttle counters, caps and balances
   * are never cached). A change of limits made through this process is seen at once (`forget`), one made elsewhere
   * within the TTL; a plan gate that would refuse is checked again against a fresh read, so an upgrade is never late.
   */
  const settingsCache = new Map<string, { at: number; settings: Settings }>()
  const settingsTtlMs = options.settingsTtlMs ?? 5_000
  const settingsOf = async (workspaceId: string, fresh = false): Promise<Settings> => {
    const hit = settingsCache.get(workspaceId)
    if (!fresh && hit && Date.now() - hit.at < settingsTtlMs) return hit.settings
    const settings = await readSettings(workspaceId)
    if (settingsTtlMs > 0) {
      if (settingsCache.size >= 10_000) settingsCache.clear()
      settingsCache.set(workspaceId, { at: Date.now(), settings })
    }
    return settings
  }

  const throttle = async (input: MeterInput, settings: Settings) => {
    const [user, workspace] = await Promise.all([
      counters.hit(minuteKey('user', `${input.workspaceId}:${input.userId}`), 60_000),
      counters.hit(minuteKey('workspace', input.workspaceId), 60_000),
    ])
    if (user.count > (settings?.requestsPerMinuteUser ?? options.rpmPerUser))
      throw creditsErrors.throttled({
        retryAfterSeconds: user.resetMs / 1000,
        what: 'AI requests from you this minute',
      })
    if (workspace.count > (settings?.requestsPerMinuteWorkspace ?? options.rpmPerWorkspace))
      throw creditsErrors.throttled({
        retryAfterSeconds: workspace.resetMs / 1000,
        what: 'AI requests from this workspace this minute',
      })
  }

  const metering = {
    estimate,
    charge,

    /** Plan gate, throttles, estimate and hold; throws 403 / 429 / 402. `replay` is the first hold of a request id seen before. */
    /** Lets a surface tell the sweeper what a call whose process died had generated (from what it stored while streaming). */
    recoverWith: (surface: string, fn: (hold: CreditHold) => Promise<string>) => {
      recoverers.set(surface, fn)
    },
    /** Drops this process's copy of a workspace's settings (its limits just changed). */
    forget: (workspaceId: string) => {
      settingsCache.delete(workspaceId)
    },

    async begin(input: MeterInput) {
      let settings = await settingsOf(input.workspaceId)
      if (!allowsModelTier(settings.plan, input.entry.tier)) settings = await settingsOf(input.workspaceId, true)
      const plan = settings.plan
      if (!allowsModelTier(plan, input.entry.tier))
        throw modelAccessErrors.not_in_plan({ modelId: input.entry.id, plan })
      await throttle(input, settings)
      const est = await estimate(input.entry, input.promptText, input.maxOutputTokens, input.billedBy)
      const paramsHash = hashParams(input.params)
      const outcome = await ledger.hold({
        workspaceId: input.workspaceId,
        clientId: input.clientId,
        userId: input.userId,
        tokenId: input.tokenId,
        surface: input.surface,
        modelId: input.entry.id,
        streaming: input.streaming,
        requestId: input.requestId,
        amount: est.credits,
        inputTokens: est.inputTokens,
        paramsHash,
        ttlMs: options.holdTtlMs,
      })
      if (outcome.kind === 'replay' && outcome.hold.paramsHash !== paramsHash)
        throw requestErrors.idempotency_mismatch({ usedFor: 'request' })
      const { hold } = outcome
      // Each further model step of the call (a tool round) gets its own hold, placed before the step runs.
      const holds: CreditHold[] = [hold]
      const price = (usage: NormalizedUsage | null) =>
        usage ? charge(hold.id, input.entry, input.billedBy, usage) : null
      const settle = (c: ModelCallCharge | null, along?: Along): Promise<SettleOutcome> =>
        holds.length === 1
          ? ledger.settle({
              workspaceId: input.workspaceId,
              holdId: hold.id,
              cost: c?.charged ?? 0n,
              resolution: 'settled',
              ...along,
            })
          : settleAcross(input.workspaceId, holds, c?.charged ?? 0n, 'settled', along)
      return {
        hold,
        estimate: est,
        replay: outcome.kind === 'replay',
        /** Every hold of the call so far: the first one, then one per further step. */
        holds: () => [...holds],
        /**
         * Holds credits for one more model step (a tool round) on `promptText`, before that step runs; throws 402 / the
         * cap's refusal like the first hold. A call never spends more than it held: the caller stops when this refuses.
         */
        async holdNextStep(promptText: string) {
          const next = await estimate(input.entry, promptText, input.maxOutputTokens, input.billedBy)
          const placed = await ledger.hold({
            workspaceId: input.workspaceId,
            clientId: input.clientId,
            userId: input.userId,
            tokenId: input.tokenId,
            surface: input.surface,
            modelId: input.entry.id,
            streaming: false,
            requestId: stepRequestId(input.requestId, holds.length + 1),
            amount: next.credits,
            inputTokens: next.inputTokens,
            paramsHash,
            ttlMs: options.holdTtlMs,
          })
          holds.push(placed.hold)
          return placed.hold
        },
        /** The charge for what the call used; `null` for a call that failed before the provider produced anything. */
        price,
        /** Debits the charge and frees the holds (once: a second settle changes nothing); `along` commits with it (the usage row). */
        settle,
        /**
         * The tail of a streamed call on a surface that saves its own rows (chat answers, boardroom turns): prices the
         * usage (nothing when `free`: the call failed before the provider wrote anything), commits the surface's rows
         * (`within`, given the charge; it answers the status the call ended with) and the usage record in one
         * transaction, then settles. If the process dies between the commit and the settle, the holds sweeper settles
         * from the recorded call.
         */
        async complete(c: {
          usage: NormalizedUsage
          free: boolean
          agentId: string | null
          within: (trx: Handle, charge: ModelCallCharge | null) => Promise<ModelCallRecord['status']>
        }) {
          const charged = await price(c.free ? null : c.usage)
          await db.transaction().execute(async (trx) => {
            const status = await c.within(trx, charged)
            await recordCall(trx, {
              workspaceId: input.workspaceId,
              clientId: input.clientId,
              userId: input.userId,
              tokenId: input.tokenId,
              agentId: c.agentId,
              surface: input.surface,
              requestId: hold.requestId,
              modelId: input.entry.id,
              status,
              usage: c.usage,
              charge: charged,
            })
          })
          return { charge: charged, settled: await settle(charged) }
        },
      }
    },

    /**
     * Resolves holds whose process died, deterministically by expiry: with the charge recorded for the call when
     * there is one, else with the prompt plus whatever its surface had stored of the answer (counted), priced now.
     */
    async sweepExpired(catalog: (modelId: string) => CatalogEntry | undefined, now = new Date(), limit = 200) {
      const expired = await db
        .selectFrom('creditHolds')
        .selectAll()
        .where('status', '=', 'pending')
        .where('expiresAt', '<', now)
        .orderBy('expiresAt')
        .limit(limit)
        .execute()
      let resolved = 0
      const done = new Set<string>()
      for (const expiredHold of expired) {
        // A call's holds (its first, then one per further step) are settled together, for what the whole call cost.
        const requestId = baseRequestId(expiredHold.requestId)
        if (done.has(`${expiredHold.workspaceId}:${requestId}`)) continue
        done.add(`${expiredHold.workspaceId}:${requestId}`)
        const all = await db
          .selectFrom('creditHolds')
          .selectAll()
          .where('workspaceId', '=', expiredHold.workspaceId)
          .where((eb) =>
            eb.or([
              eb('requestId', '=', requestId),
              eb('requestId', 'like', `${requestId.replace(/[\\%_]/g, '\\$&')}:step%`),
            ]),
          )
          .orderBy('createdAt')
          .orderBy('id')
          .execute()
        const hold = all.find((h) => h.requestId === requestId) ?? expiredHold
        const pending = all.filter((h) => h.status === 'pending')
        if (!pending.length) continue
        const recorded = await recordedCall(db, hold.workspaceId, requestId)
        let cost = recorded?.charged ?? null
        const entry = catalog(hold.modelId)
        if (cost === null && entry && pending.some((h) => h.amount > 0n)) {
          const output = (await recoverers.get(hold.surface)?.(hold)) ?? ''
          // Every step whose hold was placed sent its prompt.
          const inputTokens = all.reduce((sum, h) => sum + h.inputTokens, 0)
          const usage = {
            inputTokens,
            outputTokens: output ? countTokens(output) : 0,
            cachedInputTokens: 0,
            reasoningTokens: 0,
            estimated: true,
          }
          cost = (await charge(hold.id, entry, 'camarad', usage)).charged
        }
        // What holds of this call already resolved took counts against the cost.
        const taken = all.filter((h) => h.status !== 'pending').reduce((sum, h) => sum + (h.charged ?? 0n), 0n)
        const left = (cost ?? 0n) > taken ? (cost ?? 0n) - taken : 0n
        const out = await settleAcross(hold.workspaceId, pending, left, 'expired')
        if (!out.alreadyResolved) resolved += pending.length
      }
      return resolved
    },
  }
  return { ...metering, begin: (input: MeterInput) => traceMeteredCall(input, () => metering.begin(input)) }
}
export type Metering = ReturnType<typeof createMetering>
export type MeteredCall = Awaited<ReturnType<Metering['begin']>>
