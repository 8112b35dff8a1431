import { z } from 'zod'
import { Timestamp } from './common.ts'
import { DISPUTE_STATUSES, ENTRY_KINDS, HOLD_STATUSES } from './credits-values.ts'

/** Every credit amount in the API is an integer number of micro-credits: 1 credit = 1 000 000. */
const Micro = z.number().int().meta({ description: 'micro-credits (1 credit = 1 000 000)' })
export const MICRO_PER_CREDIT = 1_000_000

export const EntryKind = z.enum(ENTRY_KINDS)
export type EntryKind = z.infer<typeof EntryKind>
export const DisputeStatus = z.enum(DISPUTE_STATUSES)
export type DisputeStatus = z.infer<typeof DisputeStatus>
export const HoldStatus = z.enum(HOLD_STATUSES)

export const CapUsage = z.object({
  subjectKind: z.enum(['workspace', 'client', 'user']),
  subjectId: z.string(),
  period: z.enum(['daily', 'monthly']),
  cap: Micro,
  used: Micro,
  level: z
    .enum(['ok', 'warning', 'reached'])
    .meta({ description: '`warning` from 80 % of the cap, `reached` at 100 %' }),
})
export type CapUsage = z.infer<typeof CapUsage>

export const CreditBalance = z
  .object({
    workspaceId: z.string(),
    balance: Micro.meta({ description: 'Sum of the ledger entries' }),
    held: Micro.meta({ description: 'Reserved by calls in progress' }),
    available: Micro.meta({ description: 'balance − held, never below zero' }),
    plan: z.string(),
    caps: z.array(CapUsage).meta({
      description: 'Caps that apply to the caller here: the workspace, the client in X-Client-ID, the caller',
    }),
    upgradeUrl: z.string(),
  })
  .meta({ id: 'CreditBalance' })
export type CreditBalance = z.infer<typeof CreditBalance>

export const EstimateRequest = z.strictObject({
  content: z
    .string()
    .max(32_000)
    .meta({ description: 'The draft message (at most what a message may hold, 32 000 characters)' }),
  conversationId: z
    .string()
    .min(3)
    .max(64)
    .optional()
    .meta({ description: 'Counts the conversation history and uses its agent' }),
  agentId: z.string().min(3).max(64).optional(),
  modelId: z.string().min(3).max(200).optional(),
})
export const EstimateDto = z
  .object({
    modelId: z.string(),
    offline: z.boolean(),
    billedBy: z
      .enum(['camarad', 'workspace'])
      .meta({ description: '`workspace`: the workspace’s own provider key; no credits are charged' }),
    inputTokens: z.number().int(),
    maxOutputTokens: z.number().int(),
    estimate: Micro.meta({ description: 'The most this message may cost (the hold placed when it is sent)' }),
    available: Micro,
    sufficient: z.boolean(),
    caps: z.array(CapUsage),
  })
  .meta({ id: 'CreditEstimate' })
export type EstimateDto = z.infer<typeof EstimateDto>

export const LedgerQuery = z.strictObject({
  kind: EntryKind.optional(),
  requestId: z.string().max(200).optional(),
  clientId: z.string().max(64).optional(),
  userId: z.string().max(64).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  format: z
    .enum(['json', 'csv'])
    .default('json')
    .meta({ description: '`csv`: every matching entry as text/csv (up to 50 000 rows)' }),
})
export const LedgerEntryDto = z
  .object({
    id: z.string(),
    kind: EntryKind,
    amount: Micro,
    requestId: z.string(),
    holdId: z.string().nullable(),
    refundOf: z.string().nullable(),
    clientId: z.string().nullable(),
    userId: z.string().nullable(),
    modelId: z.string().nullable(),
    surface: z.string().nullable(),
    reason: z.string(),
    createdBy: z.string().nullable(),
    createdAt: Timestamp,
    dispute: z.object({ id: z.string(), status: DisputeStatus }).nullable(),
  })
  .meta({ id: 'LedgerEntry' })
export type LedgerEntryDto = z.infer<typeof LedgerEntryDto>

export const HoldsQuery = z.strictObject({
  status: HoldStatus.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
export const HoldDto = z
  .object({
    id: z.string(),
    requestId: z.string(),
    status: HoldStatus,
    amount: Micro,
    charged: Micro.nullable(),
    surface: z.string(),
    modelId: z.string(),
    clientId: z.string().nullable(),
    userId: z.string().nullable(),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
  })
  .meta({ id: 'CreditHold' })

const Cap = z.number().int().positive().nullable()
export const LimitsDto = z
  .object({
    perRequestCap: Micro.nullable(),
    requestsPerMinuteUser: z.number().int(),
    requestsPerMinuteWorkspace: z.number().int(),
    maxConcurrentStreams: z.number().int(),
    caps: z.array(
      z.object({
        subjectKind: z.enum(['workspace', 'client', 'user']),
        subjectId: z.string(),
        daily: Micro.nullable(),
        monthly: Micro.nullable(),
      }),
    ),
  })
  .meta({ id: 'CreditLimits' })
export const LimitsPatch = z
  .strictObject({
    perRequestCap: Cap.optional(),
    requestsPerMinuteUser: z.number().int().min(1).max(100_000).nullable().optional(),
    requestsPerMinuteWorkspace: z.number().int().min(1).max(1_000_000).nullable().optional(),
    maxConcurrentStreams: z.number().int().min(1).max(10_000).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change.')
export const CapPut = z.strictObject({
  subjectKind: z.enum(['workspace', 'client', 'user']),
  subjectId: z.string().max(64).meta({ description: 'The client or user id; ignored for `workspace`' }),
  daily: Cap,
  monthly: Cap,
})

export const DisputeCreate = z.strictObject({
  entryId: z.string().min(3).max(64),
  reason: z.string().trim().min(3).max(2000),
})
/** The operator's decision note (approve or reject), which the workspace reads. */
export const DisputeResolve = z.strictObject({ note: z.string().trim().min(1).max(2000) })
/** A workspace admin's note on an open dispute, for the operator. */
export const DisputeNoteCreate = z.strictObject({ note: z.string().trim().min(1).max(2000) })
/** A workspace admin withdraws an open dispute (it cannot be filed again), optionally saying why. */
export const DisputeWithdraw = z.strictObject({ note: z.string().trim().min(1).max(2000).optional() })
export const DisputeNoteDto = z.object({ id: z.string(), authorId: z.string(), note: z.string(), createdAt: Timestamp })
export const DisputeDto = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    entryId: z.string(),
    amount: Micro,
    requestId: z.string(),
    modelId: z.string().nullable(),
    reason: z.string(),
    status: DisputeStatus,
    openedBy: z.string(),
    notes: z.array(DisputeNoteDto),
    resolutionNote: z.string().nullable(),
    /** Who closed it: the admin who withdrew it; null when the operator decided (approved or rejected). */
    resolvedBy: z.string().nullable(),
    refundEntryId: z.string().nullable(),
    createdAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
  })
  .meta({ id: 'CreditDispute' })
export type DisputeDto = z.infer<typeof DisputeDto>
export const DisputesQuery = z.strictObject({
  status: DisputeStatus.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
})
/** The operator's queue: every workspace, open disputes first (oldest waiting first), then the rest newest first. */
export const OperatorDisputesQuery = z.strictObject({
  status: DisputeStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
})

export const SpendQuery = z.strictObject({
  groupBy: z.enum(['day', 'model', 'agent', 'user', 'client', 'surface']).default('day'),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
})
export const SpendRow = z.object({
  key: z.string(),
  charged: Micro,
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsdMicro: z.number().int().optional(),
})
export const SpendDto = z
  .object({ groupBy: z.string(), from: Timestamp, to: Timestamp, rows: z.array(SpendRow), total: Micro })
  .meta({ id: 'CreditSpend' })
export type SpendDto = z.infer<typeof SpendDto>

export const StatementDto = z
  .object({
    month: z.string().meta({ description: 'YYYY-MM' }),
    userId: z.string().nullable(),
    granted: Micro,
    purchased: Micro,
    charged: Micro,
    refunded: Micro,
    adjusted: Micro,
    calls: z.number().int(),
    createdAt: Timestamp,
  })
  .meta({ id: 'CreditStatement' })

export const OperatorGrant = z.strictObject({
  credits: z
    .number()
    .refine((n) => n !== 0 && Math.abs(n) <= 10_000_000, 'credits must be non-zero and at most 10 000 000')
    .meta({ description: 'Credits to add (or, negative, to take away as an adjustment); up to 6 decimals' }),
  reason: z.string().trim().min(3).max(500),
  requestId: z
    .string()
    .min(8)
    .max(200)
    .optional()
    .meta({ description: 'Makes the grant idempotent; defaults to X-Request-ID' }),
})
export const PricePut = z.strictObject({
  modelId: z.string().min(3).max(200),
  inputPerMillionUsd: z.number().min(0).max(10_000),
  outputPerMillionUsd: z.number().min(0).max(10_000),
  cachedInputPerMillionUsd: z.number().min(0).max(10_000),
})
export const PriceDto = z
  .object({
    id: z.string(),
    modelId: z.string(),
    inputPerMillionUsd: z.number(),
    outputPerMillionUsd: z.number(),
    cachedInputPerMillionUsd: z.number(),
    source: z.string(),
    validFrom: Timestamp,
    validTo: Timestamp.nullable(),
  })
  .meta({ id: 'ModelPrice' })
export const RatePut = z.strictObject({
  scope: z.enum(['live', 'shadow']),
  usdPerCredit: z.number().positive().max(1000),
  bufferPercent: z.number().min(0).max(1000),
  marginPercent: z.number().min(0).max(1000),
  note: z.string().trim().max(500).default(''),
})
export const RateDto = z
  .object({
    id: z.string(),
    scope: z.enum(['live', 'shadow']),
    usdPerCredit: z.number(),
    bufferPercent: z.number(),
    marginPercent: z.number(),
    note: z.string(),
    validFrom: Timestamp,
    validTo: Timestamp.nullable(),
  })
  .meta({ id: 'CreditRate' })
