import { sql, type Insertable, type Kysely, type OperationNodeSource, type Transaction } from 'kysely'
import { own, PREPARED, type Handle } from '../../platform/db/database.ts'
import type { CreditsTables, CreditOveragesTable } from './credits.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { CreditEntriesTable, CreditEntry, CreditHold, EntryKind, HoldStatus } from './credits.tables.ts'
import { AppError } from '../../platform/http/errors.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import { creditsErrors, type CapScope } from './credits.errors.ts'
import { CAP_PERIODS, capApplies, usedInPeriod, type CapPeriod, type CapSubject } from './caps.ts'

export type HoldRequest = {
  workspaceId: string
  clientId: string | null
  userId: string | null
  tokenId: string | null
  surface: string
  modelId: string
  streaming: boolean
  requestId: string
  amount: bigint
  inputTokens: number
  paramsHash: string
  ttlMs: number
}
export type HoldOutcome = { kind: 'placed' | 'replay'; hold: CreditHold }

export type SettleRequest = {
  workspaceId: string
  holdId: string
  /** What the call cost in micro-credits; 0 releases the hold. */
  cost: bigint
  /** `expired` when the sweeper resolves a hold whose process died. */
  resolution: 'settled' | 'expired'
  /**
   * Writes that must commit with the settle (the call's usage row): run first in the batch's transaction, so the
   * record and the debit commit together, with one commit fewer per call. If it throws, the settle fails with it.
   */
  within?: (trx: Handle) => Promise<unknown>
  /**
   * The same as `within` for a write that is one INSERT (the `/v1` usage row), given as the statement rather than a
   * callback: the batch carries it inside its single statement (`applyMany`).
   */
  record?: (handle: Handle) => OperationNodeSource
}
export type SettleOutcome = {
  status: HoldStatus
  charged: bigint
  entryId: string | null
  uncollected: bigint
  alreadyResolved: boolean
  /** The workspace's available credits (balance − held) when the settle's transaction committed: no second read needed. */
  available: bigint
}

export type PostRequest = {
  workspaceId: string
  kind: Exclude<EntryKind, 'debit'>
  amount: bigint
  requestId: string
  reason: string
  createdBy?: string | null
  refundOf?: string | null
  clientId?: string | null
  userId?: string | null
}

/** Limits the ledger checks under the account lock, where concurrent requests cannot both slip under them. */
export type HoldLimits = {
  perRequestCap: bigint | null
  maxConcurrentStreams: number
}

type Op =
  | { type: 'hold'; req: HoldRequest; resolve: (o: HoldOutcome) => void; reject: (e: unknown) => void }
  | { type: 'settle'; req: SettleRequest; resolve: (o: SettleOutcome) => void; reject: (e: unknown) => void }

type Account = {
  balance: bigint
  held: bigint
  perRequestCap: bigint | null
  maxConcurrentStreams: number | null
  hasCaps: boolean
}

/** The account row, locked for the rest of the transaction; created on first use. */
const lockAccount = async (trx: Transaction<CreditsTables>, workspaceId: string): Promise<Account> => {
  const read = () =>
    trx
      .selectFrom('creditAccounts')
      .select(['balance', 'held', 'perRequestCap', 'maxConcurrentStreams'])
      .select(
        sql<boolean>`exists (SELECT 1 FROM credit_caps c WHERE c.workspace_id = credit_accounts.workspace_id)`.as(
          'hasCaps',
        ),
      )
      .where('workspaceId', '=', workspaceId)
      .forUpdate()
      .executeTakeFirst()
  const row = await read()
  if (row) return row
  await trx
    .insertInto('creditAccounts')
    .values({ workspaceId })
    .onConflict((oc) => oc.doNothing())
    .execute()
  return (await read())!
}

/** How a hold resolves for what it charged, and the debit's reason. */
const resolution = (r: SettleRequest, charged: bigint) => {
  const status: HoldStatus = r.resolution === 'expired' ? 'expired' : charged === 0n ? 'released' : 'settled'
  return { status, reason: status === 'expired' ? 'Settled by expiry: the process running the call stopped' : '' }
}

/** The settles' usage rows (`record`) as WITH items of one statement (a builder's parameters are numbered in it). */
const carried = (ops: { req: SettleRequest }[], handle: Handle) =>
  ops.flatMap((o, i) => (o.req.record ? [sql`${sql.id(`usage${i}`)} AS (${o.req.record(handle)})`] : []))

export type LedgerOptions = {
  defaults: HoldLimits
  maxBatch?: number
  /**
   * Batches of one workspace this process runs at once (default 1, as the app runs it). More overlap one batch's round
   * trips with the next one's; the database orders them on the account row as it orders other processes' batches. With
   * a batch in one statement, one in flight does as much as four with a third less PostgreSQL CPU per call (larger
   * batches; bench/README, issue 16).
   */
  inflight?: number
  now?: () => Date
}

/**
 * The only writer of holds and debits. Requests for one workspace are queued and applied in batches: one
 * transaction locks the account row once, decides every queued hold and settle against the same figures, and
 * writes them with a constant number of statements. A hot workspace pays the lock and the commit once per batch
 * instead of once per call; another process's batches serialise on the same row lock, so the rules hold across
 * processes too.
 */
export const createLedger = (
  db: Kysely<CreditsTables>,
  { defaults, maxBatch = 256, inflight = 1, now = () => new Date() }: LedgerOptions,
) => {
  const queues = new Map<string, Op[]>()
  /** Drains running per workspace: at most `inflight`. */
  const running = new Map<string, number>()

  const decideHolds = async (
    trx: Transaction<CreditsTables>,
    workspaceId: string,
    account: Account,
    ops: Extract<Op, { type: 'hold' }>[],
  ) => {
    const out = new Map<Op, HoldOutcome | AppError>()
    if (!ops.length) return { out, placed: 0n }
    // Driven from the request ids through the (workspace_id, request_id) index, whatever the statistics say of this workspace.
    const existing = await trx
      .selectFrom('creditHolds')
      .selectAll()
      .where(
        sql<boolean>`(workspace_id, request_id) IN (SELECT ${workspaceId}::text, unnest(${ops.map((o) => o.req.requestId)}::text[]))`,
      )
      .execute()
    const byRequest = new Map(existing.map((h) => [h.requestId, h]))
    const fresh = ops.filter((o) => !byRequest.has(o.req.requestId))
    const caps =
      fresh.length && account.hasCaps
        ? await trx.selectFrom('creditCaps').selectAll().where('workspaceId', '=', workspaceId).execute()
        : []
    const maxStreams = account.maxConcurrentStreams ?? defaults.maxConcurrentStreams
    let streams = fresh.some((o) => o.req.streaming)
      ? Number(
          (
            await trx
              .selectFrom('creditHolds')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('workspaceId', '=', workspaceId)
              .where('status', '=', 'pending')
              .where('streaming', '=', true)
              .executeTakeFirstOrThrow()
          ).n,
        )
      : 0
    const used = new Map<string, bigint>()
    const usage = async (cap: CapSubject, period: CapPeriod) => {
      const key = `${cap.subjectKind}:${cap.subjectId}:${period}`
      if (!used.has(key)) used.set(key, await usedInPeriod(trx, workspaceId, cap, period, now()))
      return { key, used: used.get(key)! }
    }
    let available = account.balance - account.held
    const perRequestCap = account.perRequestCap ?? defaults.perRequestCap
    const placedInBatch = new Map<string, Op>()
    for (const op of ops) {
      const r = op.req
      const prior = byRequest.get(r.requestId)
      if (prior || placedInBatch.has(r.requestId)) continue // replays are answered once the batch is written
      if (perRequestCap !== null && r.amount > perRequestCap) {
        out.set(
          op,
          creditsErrors.cap_reached({
            scope: 'request',
            subject: 'workspace',
            subjectId: workspaceId,
            cap: perRequestCap,
            used: 0n,
            estimate: r.amount,
          }),
        )
        continue
      }
      if (r.streaming && streams >= maxStreams) {
        out.set(
          op,
          creditsErrors.throttled({
            retryAfterSeconds: 2,
            what: `answers in progress in this workspace (at most ${maxStreams} at once)`,
          }),
        )
        continue
      }
      let refused: AppError | undefined
      const charges: string[] = []
      for (const cap of caps) {
        if (!capApplies(cap, r)) continue
        for (const period of CAP_PERIODS) {
          const limit = cap[period]
          if (limit === null) continue
          const u = await usage(cap, period)
          if (u.used + r.amount > limit) {
            const scope: CapScope = { scope: period, subject: cap.subjectKind, subjectId: cap.subjectId }
            refused ??= creditsErrors.cap_reached({ ...scope, cap: limit, used: u.used, estimate: r.amount })
          }
          charges.push(u.key)
        }
      }
      if (refused) {
        out.set(op, refused)
        continue
      }
      if (r.amount > available) {
        out.set(
          op,
          creditsErrors.insufficient({
            estimate: r.amount,
            balance: account.balance,
            available: available < 0n ? 0n : available,
          }),
        )
        continue
      }
      available -= r.amount
      if (r.streaming) streams++
      for (const key of charges) used.set(key, used.get(key)! + r.amount)
      placedInBatch.set(r.requestId, op)
    }
    const rows = [...placedInBatch.values()].map((op) => {
      const r = (op as Extract<Op, { type: 'hold' }>).req
      return {
        id: newId('hold'),
        workspaceId,
        requestId: r.requestId,
        clientId: r.clientId,
        userId: r.userId,
        tokenId: r.tokenId,
        surface: r.surface,
        modelId: r.modelId,
        streaming: r.streaming,
        amount: r.amount,
        inputTokens: r.inputTokens,
        paramsHash: r.paramsHash,
        expiresAt: new Date(now().getTime() + r.ttlMs),
      }
    })
    const inserted = rows.length ? await trx.insertInto('creditHolds').values(rows).returningAll().execute() : []
    let placed = 0n
    for (const h of inserted) {
      placed += h.amount
      out.set(placedInBatch.get(h.requestId)!, { kind: 'placed', hold: h })
      byRequest.set(h.requestId, h)
    }
    for (const op of ops) {
      if (out.has(op)) continue
      const h = byRequest.get(op.req.requestId)
      // The same request id twice in one batch: the second is a replay of the first.
      out.set(op, h ? { kind: 'replay', hold: h } : creditsErrors.hold_failed())
    }
    return { out, placed }
  }

  const applySettles = async (
    trx: Transaction<CreditsTables>,
    workspaceId: string,
    account: Account,
    ops: Extract<Op, { type: 'settle' }>[],
  ) => {
    const out = new Map<Op, SettleOutcome>()
    if (!ops.length) return { out, after: account }
    for (const op of ops) if (op.req.within) await op.req.within(trx)
    // The batch's usage rows in one statement, whatever their number.
    const records = carried(ops, trx)
    if (records.length) await sql`WITH ${sql.join(records)} SELECT 1`.execute(trx)
    // By primary key only: with the workspace in the WHERE, stale statistics can make PostgreSQL scan all its holds.
    const holds = await trx
      .selectFrom('creditHolds')
      .selectAll()
      .where(
        'id',
        'in',
        ops.map((o) => o.req.holdId),
      )
      .execute()
    const byId = new Map(holds.filter((h) => h.workspaceId === workspaceId).map((h) => [h.id, h]))
    let available = account.balance - account.held
    const resolved: { id: string; status: HoldStatus; charged: bigint }[] = []
    const debits: Insertable<CreditEntriesTable>[] = []
    const overages: Insertable<CreditOveragesTable>[] = []
    // A hold settled twice in one batch: the second answer is what the first decided.
    const seen = new Map<string, { status: HoldStatus; charged: bigint }>()
    for (const op of ops) {
      const h = byId.get(op.req.holdId)
      if (!h) throw creditsErrors.hold_not_found()
      const earlier = seen.get(h.id)
      if (h.status !== 'pending' || earlier) {
        out.set(op, {
          status: earlier?.status ?? h.status,
          charged: earlier?.charged ?? h.charged ?? 0n,
          entryId: null,
          uncollected: 0n,
          alreadyResolved: true,
          available: 0n,
        })
        continue
      }
      const cost = op.req.cost < 0n ? 0n : op.req.cost
      // Releasing the hold frees its amount; a cost above it takes from what else is available, never below zero.
      const room = h.amount + available
      const charged = cost <= room ? cost : room
      available = room - charged
      const { status, reason } = resolution(op.req, charged)
      resolved.push({ id: h.id, status, charged })
      seen.set(h.id, { status, charged })
      if (cost > h.amount)
        overages.push({
          holdId: h.id,
          workspaceId,
          requestId: h.requestId,
          held: h.amount,
          cost,
          charged,
          uncollected: cost - charged,
        })
      const entryId = newId('ent')
      debits.push({
        id: entryId,
        workspaceId,
        kind: 'debit',
        amount: -charged,
        requestId: h.requestId,
        holdId: h.id,
        clientId: h.clientId,
        userId: h.userId,
        modelId: h.modelId,
        surface: h.surface,
        reason,
      })
      out.set(op, { status, charged, entryId, uncollected: cost - charged, alreadyResolved: false, available: 0n })
    }
    if (resolved.length) {
      const values = sql.join(resolved.map((r) => sql`(${r.id}, ${r.status}, ${r.charged.toString()}::bigint)`))
      await sql`UPDATE credit_holds h SET status = v.status, charged = v.charged, resolved_at = now()
        FROM (VALUES ${values}) AS v (id, status, charged) WHERE h.id = v.id AND h.status = 'pending'`.execute(trx)
      if (overages.length) await trx.insertInto('creditOverages').values(overages).execute()
      await trx.insertInto('creditEntries').values(debits).execute()
    }
    // What the triggers just did to the account row: the released holds leave held, the charges leave balance.
    let released = 0n
    let charged = 0n
    for (const r of resolved) {
      released += byId.get(r.id)!.amount
      charged += r.charged
    }
    return { out, after: { ...account, balance: account.balance - charged, held: account.held - released } }
  }

  const flush = async (workspaceId: string, ops: Op[]) => {
    const settles = ops.filter((o): o is Extract<Op, { type: 'settle' }> => o.type === 'settle')
    const holds = ops.filter((o): o is Extract<Op, { type: 'hold' }> => o.type === 'hold')
    try {
      const results = await db.transaction().execute(async (trx) => {
        const account = await lockAccount(trx, workspaceId)
        const { out: settled, after } = await applySettles(trx, workspaceId, account, settles)
        const { out: held, placed } = await decideHolds(trx, workspaceId, after, holds)
        // What the account shows once this transaction commits (the triggers moved it by exactly these amounts).
        const available = after.balance - after.held - placed
        for (const o of settled.values()) o.available = available
        return new Map<Op, unknown>([...settled, ...held])
      })
      for (const op of ops) {
        const r = results.get(op)
        if (r instanceof AppError) op.reject(r)
        else (op.resolve as (v: unknown) => void)(r)
      }
    } catch (err) {
      if (ops.length === 1) {
        ops[0]!.reject(err)
        return
      }
      // One bad request must not fail its neighbours: retry each alone.
      for (const op of ops) await flush(workspaceId, [op])
    }
  }

  type HoldOp = Extract<Op, { type: 'hold' }>
  type SettleOp = Extract<Op, { type: 'settle' }>

  /**
   * The batch in one autocommit statement instead of a transaction, for the common case only: its settles (distinct
   * holds, each pending and its cost within it, usage rows carried along as `record`) and its holds (distinct request
   * ids never seen, no daily/monthly caps on the account, each within the per-request cap, together within what is
   * available once the settles have freed theirs, streaming ones within the concurrent-streams limit). The account
   * row is locked first, as the transaction does (a batch and a transaction of another process cannot deadlock), and
   * the limits are read from it: after a lock wait that is the row's latest version, where a count of holds would
   * come from the snapshot taken before the wait. The triggers move `balance`, `held` and `streams` as usual and the
   * CHECKs still refuse a negative balance. All or nothing: anything else — a replay (its row conflicts), a hold
   * already resolved or not found, an overage, a refusal, a CHECK — makes `credits_all_or_nothing` raise or the
   * statement fail, it rolls back as a whole, and the batch goes through `flush`, which decides every case exactly.
   * Returns the holds placed and what is available once the settles are counted (before the holds).
   */
  const applyMany = async (workspaceId: string, settles: SettleOp[], holds: HoldOp[]) => {
    if (settles.some((o) => o.req.within) || new Set(settles.map((o) => o.req.holdId)).size !== settles.length)
      return null
    if (new Set(holds.map((o) => o.req.requestId)).size !== holds.length) return null
    const decided = settles.map(({ req: r }) => {
      const cost = r.cost < 0n ? 0n : r.cost
      return { r, cost, ...resolution(r, cost), entryId: newId('ent') }
    })
    const parts = [
      ...carried(settles, db),
      sql`acct AS (
        SELECT balance, held, streams, per_request_cap, max_concurrent_streams FROM credit_accounts
         WHERE workspace_id = ${workspaceId} FOR UPDATE)`,
    ]
    if (decided.length)
      parts.push(
        sql`s (hold_id, cost, status, entry_id, reason) AS (VALUES ${sql.join(
          decided.map(
            (d) => sql`(${d.r.holdId}, ${d.cost.toString()}::bigint, ${d.status}, ${d.entryId}, ${d.reason})`,
          ),
        )})`,
        sql`upd AS (
          UPDATE credit_holds h SET status = s.status, charged = s.cost, resolved_at = now()
            FROM s
           WHERE h.id = s.hold_id AND h.workspace_id = ${workspaceId} AND h.status = 'pending'
             AND h.amount >= s.cost AND EXISTS (SELECT 1 FROM acct)
          RETURNING h.id, h.workspace_id, h.request_id, h.client_id, h.user_id, h.model_id, h.surface, h.amount,
                    h.streaming, s.cost, s.entry_id, s.reason)`,
        sql`ent AS (
          INSERT INTO credit_entries (id, workspace_id, kind, amount, request_id, hold_id, client_id, user_id, model_id, surface, reason)
          SELECT u.entry_id, u.workspace_id, 'debit', -u.cost, u.request_id, u.id, u.client_id, u.user_id, u.model_id, u.surface, u.reason
            FROM upd u
          RETURNING id)`,
      )
    // What the settles free: their holds' amounts less what they charge, and their streams.
    const freed = decided.length ? sql`coalesce((SELECT sum(u.amount - u.cost) FROM upd u), 0)` : sql`0`
    const freedStreams = decided.length ? sql`(SELECT count(*) FROM upd u WHERE u.streaming)` : sql`0`
    if (holds.length) {
      const cap = defaults.perRequestCap === null ? null : defaults.perRequestCap.toString()
      parts.push(
        sql`n (id, request_id, client_id, user_id, token_id, surface, model_id, streaming, amount, input_tokens, params_hash, expires_at) AS (VALUES ${sql.join(
          holds.map(
            ({ req: r }) =>
              sql`(${newId('hold')}, ${r.requestId}, ${r.clientId}, ${r.userId}, ${r.tokenId}, ${r.surface}, ${r.modelId},
                ${r.streaming}::boolean, ${r.amount.toString()}::bigint, ${r.inputTokens}::integer, ${r.paramsHash},
                ${new Date(now().getTime() + r.ttlMs)}::timestamptz)`,
          ),
        )})`,
        sql`ins AS (
          INSERT INTO credit_holds
            (id, workspace_id, request_id, client_id, user_id, token_id, surface, model_id, streaming, amount, input_tokens, params_hash, expires_at)
          SELECT n.id, ${workspaceId}, n.request_id, n.client_id, n.user_id, n.token_id, n.surface, n.model_id, n.streaming,
                 n.amount, n.input_tokens, n.params_hash, n.expires_at
            FROM n, acct a
           WHERE a.balance - a.held + ${freed} >= (SELECT sum(amount) FROM n)
             AND coalesce((SELECT max(amount) FROM n) <= coalesce(a.per_request_cap, ${cap}::bigint), true)
             AND a.streams - ${freedStreams} + (SELECT count(*) FROM n WHERE n.streaming)
                 <= coalesce(a.max_concurrent_streams, ${defaults.maxConcurrentStreams}::integer)
             AND NOT EXISTS (SELECT 1 FROM credit_caps c WHERE c.workspace_id = ${workspaceId})
          ON CONFLICT (workspace_id, request_id) DO NOTHING
          RETURNING *)`,
      )
    }
    const done = sql`credits_all_or_nothing(${decided.length ? sql`(SELECT count(*) FROM ent)` : sql`0`} = ${decided.length}
      AND ${holds.length ? sql`(SELECT count(*) FROM ins)` : sql`0`} = ${holds.length})`
    parts.push(sql`x AS (SELECT ${done} AS ok, (SELECT a.balance - a.held FROM acct a) + ${freed} AS available)`)
    try {
      const { rows } = await sql<
        Partial<CreditHold> & { available: string | bigint }
      >`${PREPARED}WITH ${sql.join(parts)}
        SELECT ${holds.length ? sql`ins.*, x.available FROM x LEFT JOIN ins ON true` : sql`x.available FROM x`}`.execute(
        db,
      )
      const available = BigInt(rows[0]!.available)
      const placed = new Map(
        rows.filter((h) => h.id).map(({ available: _, ...h }) => [h.requestId!, h as CreditHold] as const),
      )
      return {
        available,
        held: holds.map((o) => [o, { kind: 'placed', hold: placed.get(o.req.requestId)! }] as const),
        settled: settles.map((o, i) => {
          const d = decided[i]!
          const outcome = {
            status: d.status,
            charged: d.cost,
            entryId: d.entryId,
            uncollected: 0n,
            alreadyResolved: false,
          }
          return [o, outcome] as const
        }),
      }
    } catch {
      return null // e.g. a CHECK, when a concurrent batch took the credits first: the transaction answers exactly
    }
  }

  /**
   * Takes the queue in batches. The common batch costs one statement (`applyMany`: its settles, then its holds, which
   * may take what the settles free); any other goes through `flush`, the transaction that decides every case exactly.
   */
  const drain = async (workspaceId: string) => {
    for (;;) {
      const queue = queues.get(workspaceId)!
      if (!queue.length) {
        const left = running.get(workspaceId)! - 1
        if (left) running.set(workspaceId, left)
        else {
          running.delete(workspaceId)
          queues.delete(workspaceId)
        }
        return
      }
      const batch = queue.splice(0, maxBatch)
      const settles = batch.filter((o): o is SettleOp => o.type === 'settle')
      const holds = batch.filter((o): o is HoldOp => o.type === 'hold')
      const applied = await applyMany(workspaceId, settles, holds)
      if (!applied) {
        await flush(workspaceId, batch)
        continue
      }
      let placed = 0n
      for (const [op, outcome] of applied.held) {
        placed += outcome.hold.amount
        op.resolve(outcome)
      }
      // As the batch answers: what the account shows once the holds placed after these settles are counted.
      for (const [op, outcome] of applied.settled) op.resolve({ ...outcome, available: applied.available - placed })
    }
  }

  const submit = <T>(workspaceId: string, make: (resolve: (v: T) => void, reject: (e: unknown) => void) => Op) =>
    new Promise<T>((resolve, reject) => {
      const op = make(resolve, reject)
      const queue = queues.get(workspaceId)
      if (queue) queue.push(op)
      else queues.set(workspaceId, [op])
      const n = running.get(workspaceId) ?? 0
      if (n < inflight) {
        running.set(workspaceId, n + 1)
        void drain(workspaceId)
      }
    })

  return {
    /** Reserves credits for a call, or refuses with 402 / 429; the same request id again returns the first hold. */
    hold: (req: HoldRequest) =>
      submit<HoldOutcome>(req.workspaceId, (resolve, reject) => ({ type: 'hold', req, resolve, reject })),
    /** Resolves a hold once: debits the cost (up to what is available, the rest logged as overage) and frees the hold. */
    settle: (req: SettleRequest) =>
      submit<SettleOutcome>(req.workspaceId, (resolve, reject) => ({ type: 'settle', req, resolve, reject })),

    /**
     * Any entry but a debit: grants, purchases and refunds add; adjustments and expiries may take away, never below
     * what is available. Idempotent by (workspace, request id, kind): the same request again returns the first entry,
     * a different amount under the same id is a 409.
     */
    async post(handle: Handle, req: PostRequest): Promise<{ entry: CreditEntry; replay: boolean }> {
      const executor = own<CreditsTables>(handle)
      const run = async (trx: Kysely<CreditsTables>) => {
        // Under the account lock, the check below and the insert cannot interleave with another post.
        const account = await lockAccount(trx as Transaction<CreditsTables>, req.workspaceId)
        const existing = await trx
          .selectFrom('creditEntries')
          .selectAll()
          .where('workspaceId', '=', req.workspaceId)
          .where('requestId', '=', req.requestId)
          .where('kind', '=', req.kind)
          .executeTakeFirst()
        if (existing) {
          if (existing.amount !== req.amount) throw requestErrors.idempotency_mismatch({ usedFor: 'amount' })
          return { entry: existing, replay: true }
        }
        if (req.amount < 0n && -req.amount > account.balance - account.held) {
          throw creditsErrors.insufficient_to_debit({ available: Number(account.balance - account.held) })
        }
        const entry = await trx
          .insertInto('creditEntries')
          .values({
            id: newId('ent'),
            workspaceId: req.workspaceId,
            kind: req.kind,
            amount: req.amount,
            requestId: req.requestId,
            reason: req.reason,
            createdBy: req.createdBy ?? null,
            refundOf: req.refundOf ?? null,
            clientId: req.clientId ?? null,
            userId: req.userId ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        return { entry, replay: false }
      }
      return executor.isTransaction ? run(executor) : db.transaction().execute(run)
    },

    /** The entry of a kind made under a request id (e.g. the purchase a Stripe payment granted), if any. */
    find: (handle: Handle, workspaceId: string, requestId: string, kind: EntryKind) =>
      own<CreditsTables>(handle)
        .selectFrom('creditEntries')
        .selectAll()
        .where('workspaceId', '=', workspaceId)
        .where('requestId', '=', requestId)
        .where('kind', '=', kind)
        .executeTakeFirst(),

    /**
     * Takes back credits bought with a payment that was refunded or disputed. `target` is what the payment's group of
     * clawbacks (`group`, a request id prefix such as `clawback:<charge id>:`) should have taken in all; what earlier
     * entries of the group took counts against it, and what is taken now is limited to what is available (never below
     * zero). One adjustment per `requestId` (under the group): the same request again takes nothing more. Answers what
     * was taken and what could not be.
     */
    async clawBack(
      handle: Handle,
      req: {
        workspaceId: string
        group: string
        requestId: string
        target: bigint
        reason: string
        createdBy?: string | null
      },
    ) {
      const executor = own<CreditsTables>(handle)
      const run = async (trx: Kysely<CreditsTables>) => {
        const account = await lockAccount(trx as Transaction<CreditsTables>, req.workspaceId)
        const requestId = `${req.group}${req.requestId}`
        const prior = await trx
          .selectFrom('creditEntries')
          .select(['requestId', 'amount'])
          .where('workspaceId', '=', req.workspaceId)
          .where('kind', '=', 'adjustment')
          .where('requestId', 'like', `${req.group.replace(/[\\%_]/g, '\\$&')}%`)
          .execute()
        const took = prior.reduce((sum, e) => sum - e.amount, 0n)
        const due = req.target > took ? req.target - took : 0n
        const replay = prior.find((e) => e.requestId === requestId)
        if (replay) return { taken: -replay.amount, short: due, replay: true }
        const available = account.balance - account.held
        const taken = due < available ? due : available > 0n ? available : 0n
        if (taken > 0n) {
          await trx
            .insertInto('creditEntries')
            .values({
              id: newId('ent'),
              workspaceId: req.workspaceId,
              kind: 'adjustment',
              amount: -taken,
              requestId,
              reason: req.reason,
              createdBy: req.createdBy ?? null,
            })
            .execute()
        }
        return { taken, short: due - taken, replay: false }
      }
      return executor.isTransaction ? run(executor) : db.transaction().execute(run)
    },

    /**
     * Opens the account of a new workspace (inside its creation transaction) with the welcome grant, which each
     * person receives once whatever the number of workspaces they create (a unique index decides).
     */
    async open(handle: Handle, workspaceId: string, welcome?: { userId: string; amount: bigint }) {
      const executor = own<CreditsTables>(handle)
      await executor
        .insertInto('creditAccounts')
        .values({ workspaceId })
        .onConflict((oc) => oc.doNothing())
        .execute()
      if (welcome && welcome.amount > 0n) {
        await executor
          .insertInto('creditEntries')
          .values({
            id: newId('ent'),
            workspaceId,
            kind: 'grant',
            amount: welcome.amount,
            requestId: `welcome:${welcome.userId}`,
            reason: 'Welcome credits',
            userId: welcome.userId,
          })
          .onConflict((oc) => oc.doNothing())
          .execute()
      }
    },

    /**
     * A grant that a unique index makes once per person rather than per workspace (request ids `welcome:<user>`,
     * `free:<user>:<month>`): inserted unless that request id exists in any workspace; true when this call granted it.
     */
    async grantOncePerPerson(
      handle: Handle,
      req: {
        workspaceId: string
        amount: bigint
        requestId: string
        reason: string
        userId: string
        createdBy?: string
      },
    ) {
      const executor = own<CreditsTables>(handle)
      await executor
        .insertInto('creditAccounts')
        .values({ workspaceId: req.workspaceId })
        .onConflict((oc) => oc.doNothing())
        .execute()
      if (req.amount <= 0n) return false
      const row = await executor
        .insertInto('creditEntries')
        .values({
          id: newId('ent'),
          workspaceId: req.workspaceId,
          kind: 'grant',
          amount: req.amount,
          requestId: req.requestId,
          reason: req.reason,
          userId: req.userId,
          createdBy: req.createdBy ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      return Boolean(row)
    },

    /** Whether the workspace holds a grant under `requestId`. */
    hasGrant: async (handle: Handle, workspaceId: string, requestId: string) =>
      Boolean(
        await own<CreditsTables>(handle)
          .selectFrom('creditEntries')
          .select('id')
          .where('workspaceId', '=', workspaceId)
          .where('requestId', '=', requestId)
          .where('kind', '=', 'grant')
          .executeTakeFirst(),
      ),

    /** How holds resolved between two moments compared with what was charged: the p95 of charged ÷ held (operator figures). */
    holdRatios: (handle: Handle, from: Date, to: Date) =>
      own<CreditsTables>(handle)
        .selectFrom('creditHolds')
        .select([
          sql<number>`count(*)::int`.as('holds'),
          sql<number | null>`percentile_cont(0.95) WITHIN GROUP (ORDER BY charged::float8 / amount)`.as('p95'),
        ])
        .where('createdAt', '>=', from)
        .where('createdAt', '<', to)
        .where('status', 'in', ['settled', 'expired'])
        .where('charged', 'is not', null)
        .where('amount', '>', 0n)
        .executeTakeFirstOrThrow(),

    async balance(handle: Handle, workspaceId: string) {
      const executor = own<CreditsTables>(handle)
      const row = await executor
        .selectFrom('creditAccounts')
        .select(['balance', 'held'])
        .where('workspaceId', '=', workspaceId)
        .executeTakeFirst()
      const balance = row?.balance ?? 0n
      const held = row?.held ?? 0n
      return { balance, held, available: balance - held }
    },
  }
}
export type Ledger = ReturnType<typeof createLedger>
