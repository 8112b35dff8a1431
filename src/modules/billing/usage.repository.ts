import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../../platform/db/database.ts'

/**
 * Reads over the calls the models module records and the holds credits places (read-only, across workspaces:
 * these are operator figures), plus the one write billing makes there: shadow-sync's backfill of missing prices.
 * Sums come back as text and are read as bigint: `sum(bigint)` is numeric in PostgreSQL.
 */

/**
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

export const usageRepository = {
  /** Totals since a moment, with the coverage of the recorded figures. */
  totals: (db: Executor, since: Date) =>
    db
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

  topModels: (db: Executor, since: Date, limit: number) =>
    db
      .selectFrom('modelCalls as m')
      .select(['m.modelId', ...figures])
      .where('m.createdAt', '>=', since)
      .groupBy('m.modelId')
      .orderBy(sql`coalesce(sum(m.cost_usd_micro), 0)`, 'desc')
      .orderBy('m.modelId')
      .limit(limit)
      .execute(),

  topAgents: (db: Executor, since: Date, limit: number) =>
    db
      .selectFrom('modelCalls as m')
      .select(['m.agentId', ...figures])
      .where('m.createdAt', '>=', since)
      .groupBy('m.agentId')
      .orderBy(sql`coalesce(sum(m.charged), 0)`, 'desc')
      .orderBy('m.agentId')
      .limit(limit)
      .execute(),

  latest: (db: Executor, limit: number) =>
    db
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
   * Our calls per UTC day and model between two moments: tokens, provider cost, credits charged and revenue
   * (Σ micro-credits × micro-USD per credit of the rate each call used; ÷ 10⁶ gives micro-USD). `unpricedCalls`
   * counts calls with tokens but no cost whose price is not one the catalog or an operator declared free.
   */
  byDayAndModel: (db: Executor, from: Date, to: Date) =>
    db
      .selectFrom('modelCalls as m')
      .leftJoin('creditRates as r', 'r.id', 'm.rateId')
      .leftJoin('modelPrices as p', 'p.id', 'm.priceId')
      .select([
        utcDay.as('day'),
        'm.modelId',
        ...figures,
        text(sql`sum(m.charged::numeric * r.usd_micro_per_credit)`).as('revenueX'),
        sql<number>`count(*) FILTER (WHERE m.input_tokens + m.output_tokens > 0 AND coalesce(m.cost_usd_micro, 0) = 0
        AND NOT coalesce(p.source IN ('catalog', 'operator') AND p.input_per_m = 0 AND p.output_per_m = 0 AND p.cached_input_per_m = 0, false))::int`.as(
          'unpricedCalls',
        ),
      ])
      .where('m.createdAt', '>=', from)
      .where('m.createdAt', '<', to)
      .where(onOurKeys)
      .groupBy([utcDay, 'm.modelId'])
      .orderBy(utcDay)
      .orderBy('m.modelId')
      .execute(),

  /** The calibration window: calls, those with both a cost and a charge, and the priced cost and revenue of charged calls. */
  window: (db: Executor, from: Date, to: Date) =>
    db
      .selectFrom('modelCalls as m')
      .leftJoin('creditRates as r', 'r.id', 'm.rateId')
      .select([
        sql<number>`count(*)::int`.as('calls'),
        sql<number>`count(*) FILTER (WHERE m.cost_usd_micro IS NOT NULL AND m.charged IS NOT NULL)::int`.as('covered'),
        text(sql`sum(m.cost_usd_micro) FILTER (WHERE m.charged > 0)`).as('pricedCost'),
        text(
          sql`sum(m.charged::numeric * r.usd_micro_per_credit) FILTER (WHERE m.charged > 0 AND m.cost_usd_micro IS NOT NULL)`,
        ).as('revenueX'),
      ])
      .where('m.createdAt', '>=', from)
      .where('m.createdAt', '<', to)
      .executeTakeFirstOrThrow(),

  /** How resolved holds compared with what was charged: the p95 of charged ÷ held. */
  holdRatios: (db: Executor, from: Date, to: Date) =>
    db
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

  /** Models that calls were made with and that have no current price. */
  unpricedModels: async (db: Executor) =>
    (
      await db
        .selectFrom('modelCalls as m')
        .leftJoin('modelPrices as p', (j) => j.onRef('p.modelId', '=', 'm.modelId').on('p.validTo', 'is', null))
        .select('m.modelId')
        .distinct()
        .where('p.id', 'is', null)
        .orderBy('m.modelId')
        .execute()
    ).map((r) => r.modelId),

  /** Calls missing a shadow charge or a provider cost, in id order after `afterId`. */
  missingFigures: (db: Executor, afterId: string, limit: number) =>
    db
      .selectFrom('modelCalls')
      .select(['id', 'modelId', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'costUsdMicro', 'shadowCharged'])
      .where((eb) => eb.or([eb('shadowCharged', 'is', null), eb('costUsdMicro', 'is', null)]))
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute(),

  /** Fills only what is missing: a recorded figure is never overwritten (a concurrent writer wins). */
  fillFigures: async (
    db: Executor,
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
      FROM (VALUES ${values}) AS v (id, shadow, cost, rate, price) WHERE m.id = v.id`.execute(db)
  },
}
