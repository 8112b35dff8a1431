import { z } from 'zod'
import { Timestamp } from './common.ts'

/**
 * Operator billing: cost telemetry, shadow pricing, rate calibration, reconciliation with provider invoices.
 * Money is integers: provider cost in micro-USD (1 USD = 1 000 000), credits in micro-credits.
 */
const UsdMicro = z.number().int().meta({ description: 'micro-USD (1 USD = 1 000 000)' })
const Credits = z.number().int().meta({ description: 'micro-credits (1 credit = 1 000 000)' })
const Share = z.number().min(0).max(1)
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .meta({ description: 'A UTC day, YYYY-MM-DD' })

export const Coverage = z.object({
  calls: z.number().int(),
  withTokens: Share.meta({ description: 'Share of calls that reported (or counted) tokens' }),
  withCost: Share.meta({ description: 'Share of calls with a provider cost recorded' }),
  billable: Share.meta({ description: 'Share of calls with a charge recorded (charged is not null)' }),
})

export const CostAggregate = z.object({
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  providerCostUsdMicro: UsdMicro,
  charged: Credits,
  shadowCharged: Credits,
  shadowDelta: Credits.meta({ description: 'shadow − actual, over calls that have both' }),
  impliedUsdPerCredit: z
    .number()
    .nullable()
    .meta({ description: 'Provider cost ÷ credits charged, over charged calls: what a credit really covered' }),
  coverage: Coverage,
})

const Top = z.object({
  calls: z.number().int(),
  tokens: z.number().int(),
  providerCostUsdMicro: UsdMicro,
  charged: Credits,
  shadowCharged: Credits,
})

export const CostTelemetryDto = z
  .object({
    generatedAt: Timestamp,
    last24h: CostAggregate,
    last7d: CostAggregate,
    topModels: z.array(Top.extend({ modelId: z.string() })).meta({ description: 'Last 7 days, by provider cost' }),
    topAgents: z
      .array(Top.extend({ agentId: z.string().nullable() }))
      .meta({ description: 'Last 7 days, by credits charged (null: calls without an agent, e.g. /v1)' }),
    latest: z
      .array(
        z.object({
          id: z.string(),
          createdAt: Timestamp,
          workspaceId: z.string(),
          surface: z.string(),
          status: z.string(),
          modelId: z.string(),
          agentId: z.string().nullable(),
          inputTokens: z.number().int(),
          outputTokens: z.number().int(),
          usageEstimated: z.boolean(),
          providerCostUsdMicro: UsdMicro.nullable(),
          charged: Credits.nullable(),
          shadowCharged: Credits.nullable(),
        }),
      )
      .meta({ description: 'The last 20 calls' }),
  })
  .meta({ id: 'BillingCostTelemetry' })
export type CostTelemetryDto = z.infer<typeof CostTelemetryDto>

export const ShadowSyncBody = z.strictObject({}).meta({ description: 'Send `{}`' })
export const ShadowSyncDto = z
  .object({
    pricesCreated: z.array(z.object({ modelId: z.string(), source: z.enum(['catalog', 'shadow-sync']) })),
    shadowBackfilled: z.number().int().meta({ description: 'Calls given a shadow charge' }),
    costBackfilled: z.number().int().meta({ description: 'Calls given a provider cost' }),
    shadowRateId: z.string(),
  })
  .meta({ id: 'BillingShadowSync' })
export type ShadowSyncDto = z.infer<typeof ShadowSyncDto>

export const CalibrationQuery = z.strictObject({
  window_hours: z.coerce.number().int().min(1).max(720).default(168),
})

const RateValues = z.object({
  usdPerCredit: z.number(),
  marginPercent: z.number().meta({ description: 'Markup on provider cost' }),
  bufferPercent: z.number(),
})
export const CalibrationProposalDto = z
  .object({
    windowHours: z.number().int(),
    from: Timestamp,
    to: Timestamp,
    sample: z.object({
      calls: z.number().int(),
      coveredCalls: z.number().int(),
      coverage: Share,
      settledHolds: z.number().int(),
    }),
    observed: z.object({
      pricedCostUsdMicro: UsdMicro.meta({ description: 'Provider cost as priced by our price book' }),
      revenueUsdMicro: UsdMicro,
      costFactor: z.number().meta({
        description: 'Provider invoices ÷ our priced cost on the imported days and models (1 without imports)',
      }),
      costBasis: z.enum(['imported', 'recorded']),
      realisedMarginPercent: z.number().nullable().meta({ description: '(revenue − cost × costFactor) ÷ revenue' }),
      holdChargeRatioP95: z.number().nullable().meta({ description: 'p95 of charged ÷ held over settled holds' }),
    }),
    targetMarginPercent: z
      .number()
      .meta({ description: 'Realised margin the proposal aims at: the current rate’s, at least the floor' }),
    floorMarginPercent: z.number().meta({ description: 'BILLING_MARGIN_ALERT_PERCENT' }),
    current: RateValues.extend({ id: z.string() }),
    proposed: RateValues,
    guardrails: z.array(
      z.object({
        name: z.enum(['max_step', 'margin_floor', 'range', 'no_hold_data']),
        field: z.string(),
        detail: z.string(),
      }),
    ),
    confidence: z.object({ score: Share, level: z.enum(['low', 'medium', 'high']) }),
    sufficient: z
      .boolean()
      .meta({ description: 'At least 50 calls and 90 % coverage: what calibration-apply requires' }),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'BillingCalibrationProposal' })
export type CalibrationProposalDto = z.infer<typeof CalibrationProposalDto>

export const CalibrationApplyBody = z.strictObject({
  window_hours: z.number().int().min(1).max(720).default(168),
  note: z.string().trim().max(500).default(''),
})

export const CostProvider = z.enum(['openai', 'anthropic', 'google', 'groq', 'openai-compatible'])
export type CostProvider = z.infer<typeof CostProvider>
export const CostImportBody = z.strictObject({
  provider: CostProvider,
  csv: z
    .string()
    .min(1)
    .max(5_000_000)
    .meta({ description: 'Header `date,model,cost_usd[,input_tokens,output_tokens]`; one row per day and model' }),
})
export const CostImportDto = z
  .object({
    id: z.string(),
    provider: CostProvider,
    lines: z.number().int(),
    replaced: z
      .number()
      .int()
      .meta({ description: 'Day/model rows that superseded an earlier import (kept as history)' }),
    days: z.array(Day),
    totalCostUsdMicro: UsdMicro,
    createdAt: Timestamp,
  })
  .meta({ id: 'BillingCostImport' })

export const ReconcileBody = z.strictObject({
  date: Day.optional().meta({ description: 'Defaults to yesterday (UTC)' }),
})
export const ReconciliationQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  day: Day.optional(),
})

export const AlertKind = z.enum(['margin_below_target', 'cost_missing'])
export const ReconciliationRunDto = z
  .object({
    id: z.string(),
    day: Day,
    trigger: z.enum(['cron', 'operator']),
    calls: z.number().int(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    recordedCostUsdMicro: UsdMicro,
    importedCostUsdMicro: UsdMicro.nullable(),
    providerCostUsdMicro: UsdMicro.meta({ description: 'Imported where known, else recorded' }),
    charged: Credits,
    revenueUsdMicro: UsdMicro,
    marginPercent: z
      .number()
      .nullable()
      .meta({ description: '(revenue − provider cost) ÷ revenue; null without revenue' }),
    targetMarginPercent: z.number(),
    createdAt: Timestamp,
    deltas: z.array(
      z.object({
        modelId: z.string(),
        provider: z.string(),
        calls: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        recordedUsdMicro: UsdMicro,
        importedUsdMicro: UsdMicro.nullable(),
        deltaUsdMicro: UsdMicro.nullable().meta({ description: 'imported − recorded' }),
        importId: z.string().nullable(),
      }),
    ),
    alerts: z.array(
      z.object({
        id: z.string(),
        kind: AlertKind,
        modelId: z.string().nullable(),
        message: z.string(),
        details: z.record(z.string(), z.unknown()),
        notifiedAt: Timestamp.nullable(),
        createdAt: Timestamp,
      }),
    ),
  })
  .meta({ id: 'BillingReconciliationRun' })
export type ReconciliationRunDto = z.infer<typeof ReconciliationRunDto>
