import type { z } from 'zod'
import type {
  CalibrationProposalDto,
  CostImportDto,
  CostProvider as CostProviderSchema,
  CostTelemetryDto,
  ReconciliationRunDto,
  ShadowSyncDto,
} from '../../../../contracts/billing.ts'
import type { DisputeDto, PriceDto, RateDto } from '../../../../contracts/credits.ts'
import { ApiError, failed } from '../../lib/api.ts'

export type { CalibrationProposalDto, CostTelemetryDto, DisputeDto, ReconciliationRunDto, ShadowSyncDto }
export type PriceDto = z.infer<typeof PriceDto>
export type RateDto = z.infer<typeof RateDto>
export type CostImportDto = z.infer<typeof CostImportDto>
export type CostProvider = z.infer<typeof CostProviderSchema>
export type PricePut = {
  modelId: string
  inputPerMillionUsd: number
  outputPerMillionUsd: number
  cachedInputPerMillionUsd: number
}
export type RatePut = {
  scope: 'live' | 'shadow'
  usdPerCredit: number
  bufferPercent: number
  marginPercent: number
  note: string
}

/** Mirrors contracts/billing.ts CostProvider, kept as plain data so zod stays out of the bundle. */
export const COST_PROVIDERS = [
  'openai',
  'anthropic',
  'google',
  'groq',
  'openai-compatible',
] as const satisfies readonly CostProvider[]

/** The operator token lives in this tab's sessionStorage only: closing the tab forgets it. */
export const TOKEN_KEY = 'camarad.operatorToken'

export type StripeEventStatus = 'pending' | 'processed' | 'ignored' | 'dead'
export const STRIPE_EVENT_STATUSES = [
  'pending',
  'processed',
  'ignored',
  'dead',
] as const satisfies readonly StripeEventStatus[]
export type StripeEventDto = {
  id: string
  type: string
  status: StripeEventStatus
  attempts: number
  lastError: string | null
  receivedAt: string
  processedAt: string | null
  /** A refund or chargeback: the workspace it took credits back from, and what it could not take back (micro-credits, already spent). */
  workspaceId: string | null
  unrecoveredCredits: number | null
}
export type DriftRepairDto = {
  eventsRecovered: number
  subscriptionsChecked: number
  subscriptionsRepaired: number
  failed: number
}

export type OutboxEmailDto = {
  id: string
  kind: string
  to: string
  subject: string
  text: string
  link: string | null
  status: 'queued' | 'stored' | 'sent' | 'failed'
  attempts: number
  lastError: string | null
  messageId: string | null
  createdAt: string
  sentAt: string | null
}

export const operatorKeys = {
  all: ['operator'] as const,
  prices: ['operator', 'prices'] as const,
  rates: ['operator', 'rates'] as const,
  telemetry: ['operator', 'telemetry'] as const,
  proposal: (hours: number) => ['operator', 'proposal', hours] as const,
  reconciliation: ['operator', 'reconciliation'] as const,
  stripeEvents: (status: string) => ['operator', 'stripe-events', status] as const,
  disputes: (status: string) => ['operator', 'disputes', status] as const,
  emails: (to: string) => ['operator', 'emails', to] as const,
}

type Options = {
  method?: 'GET' | 'POST' | 'PUT'
  body?: unknown
  query?: Record<string, string | number | undefined>
  signal?: AbortSignal
}

/** fetch with X-Internal-Token; a 401 here means a wrong token, never "sign in again". */
export async function operatorApi<T>(
  token: string,
  path: string,
  { method = 'GET', body, query, signal }: Options = {},
): Promise<T> {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v))
  const url = params.size ? `${path}?${params}` : path
  let res: Response
  try {
    res = await fetch(url, {
      method,
      signal,
      credentials: 'omit',
      headers: {
        accept: 'application/json',
        'x-internal-token': token,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'network.unreachable', 'Cannot reach the server. Check your connection and try again.')
  }
  if (!res.ok) throw await failed(res, false)
  return (await res.json()) as T
}

export const createOperatorApi = (token: string) => ({
  prices: (signal?: AbortSignal) =>
    operatorApi<{ items: PriceDto[] }>(token, '/api/operator/prices', { signal }).then((r) => r.items),
  setPrice: (body: PricePut) => operatorApi<PriceDto>(token, '/api/operator/prices', { method: 'PUT', body }),
  rates: (signal?: AbortSignal) =>
    operatorApi<{ items: RateDto[] }>(token, '/api/operator/credit-rates', { signal }).then((r) => r.items),
  newRate: (body: RatePut) => operatorApi<RateDto>(token, '/api/operator/credit-rates', { method: 'POST', body }),
  telemetry: (signal?: AbortSignal) => operatorApi<CostTelemetryDto>(token, '/api/billing/cost-telemetry', { signal }),
  shadowSync: () => operatorApi<ShadowSyncDto>(token, '/api/billing/shadow-sync', { method: 'POST', body: {} }),
  proposal: (hours: number, signal?: AbortSignal) =>
    operatorApi<CalibrationProposalDto>(token, '/api/billing/calibration-proposal', {
      query: { window_hours: hours },
      signal,
    }),
  applyCalibration: (hours: number, note: string) =>
    operatorApi<RateDto>(token, '/api/billing/calibration-apply', {
      method: 'POST',
      body: { window_hours: hours, note },
    }),
  importCosts: (provider: CostProvider, csv: string) =>
    operatorApi<CostImportDto>(token, '/api/operator/reconciliation/imports', {
      method: 'POST',
      body: { provider, csv },
    }),
  reconcile: (date?: string) =>
    operatorApi<ReconciliationRunDto>(token, '/api/operator/reconciliation/run', {
      method: 'POST',
      body: date ? { date } : {},
    }),
  stripeEvents: (status: StripeEventStatus | '', signal?: AbortSignal) =>
    operatorApi<{ items: StripeEventDto[] }>(token, '/api/operator/stripe/events', {
      query: { status, limit: 100 },
      signal,
    }).then((r) => r.items),
  replayStripeEvent: (eventId: string) =>
    operatorApi<StripeEventDto>(token, '/api/operator/stripe/events/replay', { method: 'POST', body: { eventId } }),
  repairDrift: () => operatorApi<DriftRepairDto>(token, '/api/operator/stripe/repair', { method: 'POST', body: {} }),
  disputes: (status: DisputeDto['status'] | '', signal?: AbortSignal) =>
    operatorApi<{ items: DisputeDto[] }>(token, '/api/operator/disputes', {
      query: { status, limit: 200 },
      signal,
    }).then((r) => r.items),
  decideDispute: (id: string, decision: 'approve' | 'reject', note: string) =>
    operatorApi<DisputeDto>(token, `/api/operator/disputes/${encodeURIComponent(id)}/${decision}`, {
      method: 'POST',
      body: { note },
    }),
  emails: (to: string, cursor: string | null, signal?: AbortSignal) =>
    operatorApi<{ items: OutboxEmailDto[]; nextCursor: string | null }>(token, '/api/operator/emails', {
      query: { to: to || undefined, cursor: cursor ?? undefined, limit: 25 },
      signal,
    }),
  runs: (signal?: AbortSignal) =>
    operatorApi<{ runs: ReconciliationRunDto[] }>(token, '/api/operator/reconciliation', {
      query: { limit: 30 },
      signal,
    }).then((r) => r.runs),
})
export type OperatorApi = ReturnType<typeof createOperatorApi>

const usdBig = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
})
const usdSmall = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
})
/** Micro-USD as dollars: "$12.34", "$0.000150". */
export const formatUsdMicro = (micro: number | null | undefined) => {
  if (micro === null || micro === undefined) return '—'
  const usd = micro / 1_000_000
  return (Math.abs(usd) >= 1 ? usdBig : usdSmall).format(usd)
}
export const formatUsd = (usd: number) => usdSmall.format(usd)
const pct = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 })
export const formatPercent = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : `${pct.format(n)} %`
export const formatShare = (share: number) => `${pct.format(share * 100)} %`
