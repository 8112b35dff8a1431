import { sql, type RawBuilder } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ModelsTables } from './models.tables.ts'

/** What a call was charged (credits module): provider cost, our charge and the shadow rate's, with the versions used. */
export type ModelCallCharge = {
  holdId: string
  costUsdMicro: bigint
  charged: bigint
  shadowCharged: bigint
  priceId: string
  rateId: string
  shadowRateId: string
}

export type ModelCallRecord = {
  workspaceId: string
  clientId: string | null
  userId: string
  tokenId: string | null
  agentId?: string | null
  surface: 'chat' | 'v1' | 'boardroom' | 'flow' | 'inbox' | 'crm' | 'knowledge'
  requestId: string
  modelId: string
  status: 'complete' | 'cancelled' | 'failed'
  usage: {
    inputTokens: number
    outputTokens: number
    cachedInputTokens: number
    reasoningTokens: number
    estimated: boolean
  }
  charge?: ModelCallCharge | null
  response?: Record<string, unknown>
}

/** One row per model call (one per request id), with the usage the provider reported and what it was charged. */
export const recordModelCall = (handle: Handle, r: ModelCallRecord) => modelCallInsert(handle, r).execute()

/** The usage record's INSERT, not run: a caller may carry it inside a statement of its own (the ledger's settle). */
export const modelCallInsert = (handle: Handle, r: ModelCallRecord) =>
  own<ModelsTables>(handle)
    .insertInto('modelCalls')
    .values({
      id: newId('call'),
      workspaceId: r.workspaceId,
      clientId: r.clientId,
      userId: r.userId,
      tokenId: r.tokenId,
      agentId: r.agentId ?? null,
      surface: r.surface,
      requestId: r.requestId,
      modelId: r.modelId,
      status: r.status,
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
      cachedInputTokens: r.usage.cachedInputTokens,
      reasoningTokens: r.usage.reasoningTokens,
      usageEstimated: r.usage.estimated,
      ...(r.charge ?? {}),
      response: r.response ? JSON.stringify(r.response) : null,
    })

/** What one request id was charged and answered (the sweeper prices a dead hold from it; `/v1` replays the answer). */
/**
 * A call's charge and stored response. The response comes back as text, parsed here: the CamelCasePlugin would
 * rename the keys of the jsonb value (`finish_reason` → `finishReason`), and a replay must answer it as it was sent.
 */
export const recordedCall = async (handle: Handle, workspaceId: string, requestId: string) => {
  const row = await own<ModelsTables>(handle)
    .selectFrom('modelCalls')
    .select(['charged', sql<string | null>`response::text`.as('responseText')])
    .where('workspaceId', '=', workspaceId)
    .where('requestId', '=', requestId)
    .executeTakeFirst()
  return (
    row && {
      charged: row.charged,
      response: row.responseText === null ? null : (JSON.parse(row.responseText) as Record<string, unknown>),
    }
  )
}

export type SpendGroup = 'day' | 'model' | 'agent' | 'user' | 'client' | 'surface'

/** A workspace's calls between two moments summed per group (sums as text: `sum(bigint)` is numeric). */
export const spendOf = (
  handle: Handle,
  q: { workspaceId: string; from: Date; to: Date; userId?: string | undefined; groupBy: SpendGroup },
) => {
  const key = {
    day: sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
    model: sql<string>`model_id`,
    agent: sql<string>`coalesce(agent_id, '')`,
    user: sql<string>`user_id`,
    client: sql<string>`coalesce(client_id, '')`,
    surface: sql<string>`surface`,
  }[q.groupBy]
  let query = own<ModelsTables>(handle)
    .selectFrom('modelCalls')
    .select([
      key.as('key'),
      sql<string>`coalesce(sum(charged), 0)::text`.as('charged'),
      sql<string>`count(*)::text`.as('calls'),
      sql<string>`coalesce(sum(input_tokens), 0)::text`.as('inputTokens'),
      sql<string>`coalesce(sum(output_tokens), 0)::text`.as('outputTokens'),
    ])
    .where('workspaceId', '=', q.workspaceId)
    .where('createdAt', '>=', q.from)
    .where('createdAt', '<', q.to)
  if (q.userId) query = query.where('userId', '=', q.userId)
  return query
    .groupBy(key)
    .orderBy(q.groupBy === 'day' ? key : sql`sum(charged)`, q.groupBy === 'day' ? 'asc' : 'desc')
    .execute()
}

/**
 * Operator figures over all calls (read-only, across workspaces), plus the one write billing makes here:
 * shadow-sync's backfill of missing figures. Sums come back as text and are read as bigint.
 *
 * A call on a workspace's own provider key is charged 0 credits while it has a cost: the provider bills the
 * workspace, not us (metering charges at least 1 micro-credit for any cost on our keys). Those calls are
 * neither our cost nor our revenue.
 */
const onOurKeys = sql<boolean>`NOT (coalesce(m.charged, -1) = 0 AND coalesce(m.cost_usd_micro, 0) > 0)`
const utcDay = sql<string>`to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
const text = (expr: RawBuilder<unknown>) => sql<string>`coalesce(${expr}, 0)::text`

const figures = [
  sql<number>`count(*)::int`.as('calls'),
  text(sql`sum(m.input_tokens)`).as('inputTokens'),
  text(sql`sum(m.output_tokens)`).as('outputTokens'),
  text(sql`sum(m.cost_usd_micro)`).as('cost'),
  text(sql`sum(m.charged)`).as('charged'),
  text(sql`sum(m.shadow_charged)`).as('shadowCharged'),
] as const

export const usageReports = {
  /** Totals since a moment, with the coverage of the recorded figures. */
  totals: (handle: Handle, since: Date) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls as m')
      .select([
        ...figures,
        text(sql`sum(m.shadow_charged - m.charged)`).as('shadowDelta'),
        text(sql`sum(m.cost_usd_micro) FILTER (WHERE m.charged > 0)`).as('costOfCharged'),
        text(sql`sum(m.charged) FILTER (WHERE m.charged > 0 AND m.cost_usd_micro IS NOT NULL)`).as('chargedWithCost'),
        sql<number>`count(*) FILTER (WHERE m.input_tokens + m.output_tokens > 0)::int`.as('withTokens'),
        sql<number>`count(*) FILTER (WHERE m.cost_usd_micro IS NOT NULL)::int`.as('withCost'),
        sql<number>`count(*) FILTER (WHERE m.charged IS NOT NULL)::int`.as('billable'),
      ])
      .where('m.createdAt', '>=', since)
      .executeTakeFirstOrThrow(),

  topModels: (handle: Handle, since: Date, limit: number) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls as m')
      .select(['m.modelId', ...figures])
      .where('m.createdAt', '>=', since)
      .groupBy('m.modelId')
      .orderBy(sql`coalesce(sum(m.cost_usd_micro), 0)`, 'desc')
      .orderBy('m.modelId')
      .limit(limit)
      .execute(),

  topAgents: (handle: Handle, since: Date, limit: number) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls as m')
      .select(['m.agentId', ...figures])
      .where('m.createdAt', '>=', since)
      .groupBy('m.agentId')
      .orderBy(sql`coalesce(sum(m.charged), 0)`, 'desc')
      .orderBy('m.agentId')
      .limit(limit)
      .execute(),

  latest: (handle: Handle, limit: number) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls')
      .select([
        'id',
        'createdAt',
        'workspaceId',
        'surface',
        'status',
        'modelId',
        'agentId',
        'inputTokens',
        'outputTokens',
        'usageEstimated',
        'costUsdMicro',
        'charged',
        'shadowCharged',
      ])
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),

  /**
   * Calls on our keys per UTC day, model and the price and rate versions they were charged at, between two moments:
   * the figures, `charged` alone (Σ micro-credits, to multiply by the rate's micro-USD per credit) and `zeroCostCalls`
   * (calls with tokens and no cost; unpriced unless the price version is one the catalog or an operator declared free).
   */
  byDayModelAndVersions: (handle: Handle, from: Date, to: Date) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls as m')
      .select([
        utcDay.as('day'),
        'm.modelId',
        'm.priceId',
        'm.rateId',
        ...figures,
        sql<number>`count(*) FILTER (WHERE m.input_tokens + m.output_tokens > 0 AND coalesce(m.cost_usd_micro, 0) = 0)::int`.as(
          'zeroCostCalls',
        ),
      ])
      .where('m.createdAt', '>=', from)
      .where('m.createdAt', '<', to)
      .where(onOurKeys)
      .groupBy([utcDay, 'm.modelId', 'm.priceId', 'm.rateId'])
      .orderBy(utcDay)
      .orderBy('m.modelId')
      .execute(),

  /**
   * The calibration window per rate version: calls, those with both a cost and a charge, the cost of charged calls,
   * and the charge of charged calls with a cost (to multiply by the rate's micro-USD per credit).
   */
  windowByRate: (handle: Handle, from: Date, to: Date) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls as m')
      .select([
        'm.rateId',
        sql<number>`count(*)::int`.as('calls'),
        sql<number>`count(*) FILTER (WHERE m.cost_usd_micro IS NOT NULL AND m.charged IS NOT NULL)::int`.as('covered'),
        text(sql`sum(m.cost_usd_micro) FILTER (WHERE m.charged > 0)`).as('pricedCost'),
        text(sql`sum(m.charged) FILTER (WHERE m.charged > 0 AND m.cost_usd_micro IS NOT NULL)`).as('pricedCharged'),
      ])
      .where('m.createdAt', '>=', from)
      .where('m.createdAt', '<', to)
      .groupBy('m.rateId')
      .execute(),

  /** Every model id calls were recorded with. */
  modelsCalled: async (handle: Handle) =>
    (
      await own<ModelsTables>(handle).selectFrom('modelCalls').select('modelId').distinct().orderBy('modelId').execute()
    ).map((r) => r.modelId),

  /** Calls missing a shadow charge or a provider cost, in id order after `afterId`. */
  missingFigures: (handle: Handle, afterId: string, limit: number) =>
    own<ModelsTables>(handle)
      .selectFrom('modelCalls')
      .select(['id', 'modelId', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'costUsdMicro', 'shadowCharged'])
      .where((eb) => eb.or([eb('shadowCharged', 'is', null), eb('costUsdMicro', 'is', null)]))
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute(),

  /** Fills only what is missing: a recorded figure is never overwritten (a concurrent writer wins). */
  fillFigures: async (
    handle: Handle,
    rows: { id: string; shadowCharged: bigint; costUsdMicro: bigint; shadowRateId: string; priceId: string }[],
  ) => {
    if (!rows.length) return
    const values = sql.join(
      rows.map(
        (r) =>
          sql`(${r.id}::text, ${String(r.shadowCharged)}::bigint, ${String(r.costUsdMicro)}::bigint, ${r.shadowRateId}::text, ${r.priceId}::text)`,
      ),
    )
    await sql`UPDATE model_calls AS m SET
        shadow_charged = coalesce(m.shadow_charged, v.shadow),
        shadow_rate_id = CASE WHEN m.shadow_charged IS NULL THEN v.rate ELSE m.shadow_rate_id END,
        cost_usd_micro = coalesce(m.cost_usd_micro, v.cost),
        price_id = coalesce(m.price_id, v.price)
      FROM (VALUES ${values}) AS v (id, shadow, cost, rate, price) WHERE m.id = v.id`.execute(own<ModelsTables>(handle))
  },
}
