import type { CostTelemetryDto } from '../../../contracts/billing.ts'
import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import type { UsageReader } from './usage.repository.ts'

const HOUR = 3_600_000
const share = (n: number, of: number) => (of ? n / of : 0)
const num = (text: string) => Number(BigInt(text))

type Totals = Awaited<ReturnType<UsageReader['totals']>>
const aggregate = (t: Totals): CostTelemetryDto['last24h'] => ({
  calls: t.calls,
  inputTokens: num(t.inputTokens),
  outputTokens: num(t.outputTokens),
  providerCostUsdMicro: num(t.cost),
  charged: num(t.charged),
  shadowCharged: num(t.shadowCharged),
  shadowDelta: num(t.shadowDelta),
  impliedUsdPerCredit: BigInt(t.chargedWithCost) > 0n ? num(t.costOfCharged) / num(t.chargedWithCost) : null,
  coverage: {
    calls: t.calls,
    withTokens: share(t.withTokens, t.calls),
    withCost: share(t.withCost, t.calls),
    billable: share(t.billable, t.calls),
  },
})
const top = (r: {
  calls: number
  inputTokens: string
  outputTokens: string
  cost: string
  charged: string
  shadowCharged: string
}) => ({
  calls: r.calls,
  tokens: num(r.inputTokens) + num(r.outputTokens),
  providerCostUsdMicro: num(r.cost),
  charged: num(r.charged),
  shadowCharged: num(r.shadowCharged),
})

/** What calls cost the providers, what we charged and what the shadow rate would have: the last 24 h and 7 days. */
export const createTelemetry = ({
  db,
  usage,
  now,
}: {
  db: Kysely<BillingTables>
  usage: UsageReader
  now: () => Date
}) => ({
  async costTelemetry(): Promise<CostTelemetryDto> {
    const at = now()
    const day = new Date(at.getTime() - 24 * HOUR)
    const week = new Date(at.getTime() - 7 * 24 * HOUR)
    const [last24h, last7d, models, agents, latest] = await Promise.all([
      usage.totals(db, day),
      usage.totals(db, week),
      usage.topModels(db, week, 10),
      usage.topAgents(db, week, 10),
      usage.latest(db, 20),
    ])
    return {
      generatedAt: at.toISOString(),
      last24h: aggregate(last24h),
      last7d: aggregate(last7d),
      topModels: models.map((r) => ({ modelId: r.modelId, ...top(r) })),
      topAgents: agents.map((r) => ({ agentId: r.agentId, ...top(r) })),
      latest: latest.map((c) => ({
        id: c.id,
        createdAt: c.createdAt.toISOString(),
        workspaceId: c.workspaceId,
        surface: c.surface,
        status: c.status,
        modelId: c.modelId,
        agentId: c.agentId,
        inputTokens: c.inputTokens,
        outputTokens: c.outputTokens,
        usageEstimated: c.usageEstimated,
        providerCostUsdMicro: c.costUsdMicro === null ? null : Number(c.costUsdMicro),
        charged: c.charged === null ? null : Number(c.charged),
        shadowCharged: c.shadowCharged === null ? null : Number(c.shadowCharged),
      })),
    }
  },
})
