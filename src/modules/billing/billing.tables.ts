import type { ColumnType, Generated } from 'kysely'
import type { Timestamp, NullableTimestamp } from '../../platform/db/columns.ts'

export type ProviderCostImportsTable = {
  id: string
  provider: string
  lines: number
  totalUsdMicro: bigint
  createdAt: Timestamp
}

export type ProviderCostsTable = {
  day: string
  provider: string
  modelId: string
  version: number
  importId: string
  line: number
  costUsdMicro: bigint
  inputTokens: bigint | null
  outputTokens: bigint | null
  createdAt: Timestamp
}

export type ReconciliationRunsTable = {
  id: string
  day: string
  trigger: 'cron' | 'operator'
  calls: number
  inputTokens: bigint
  outputTokens: bigint
  recordedCostUsdMicro: bigint
  importedCostUsdMicro: bigint | null
  providerCostUsdMicro: bigint
  charged: bigint
  revenueUsdMicro: bigint
  marginBps: number | null
  targetMarginBps: number
  createdAt: Timestamp
}

export type ReconciliationDeltasTable = {
  runId: string
  modelId: string
  provider: string
  calls: number
  inputTokens: bigint
  outputTokens: bigint
  recordedUsdMicro: bigint
  importedUsdMicro: bigint | null
  deltaUsdMicro: bigint | null
  importId: string | null
}

export type BillingAlertsTable = {
  id: string
  seq: Generated<bigint>
  runId: string
  day: string
  kind: 'margin_below_target' | 'cost_missing'
  modelId: string | null
  message: string
  details: ColumnType<Record<string, unknown>, string, never>
  notifiedAt: NullableTimestamp
  createdAt: Timestamp
}

/** The tables the billing module owns: its handles are typed `Kysely<BillingTables>`. */
export type BillingTables = {
  providerCostImports: ProviderCostImportsTable
  providerCosts: ProviderCostsTable
  reconciliationRuns: ReconciliationRunsTable
  reconciliationDeltas: ReconciliationDeltasTable
  billingAlerts: BillingAlertsTable
}
