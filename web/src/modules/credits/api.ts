import type { z } from 'zod'
import type {
  CapPut,
  CapUsage,
  CreditBalance,
  DisputeDto,
  EntryKind,
  EstimateDto,
  HoldDto,
  HoldStatus,
  LedgerEntryDto,
  LimitsDto,
  LimitsPatch,
  SpendDto,
  StatementDto,
} from '../../../../contracts/credits.ts'
import { api, downloadFile } from '../../lib/api.ts'

export type { CapUsage, CreditBalance, DisputeDto, EntryKind, EstimateDto, LedgerEntryDto, SpendDto }
export type HoldDto = z.infer<typeof HoldDto>
export type HoldStatus = z.infer<typeof HoldStatus>
export type LimitsDto = z.infer<typeof LimitsDto>
export type LimitsPatch = z.input<typeof LimitsPatch>
export type CapPut = z.input<typeof CapPut>
export type StatementDto = z.infer<typeof StatementDto>
export type DisputeStatus = DisputeDto['status']
export type SpendGroup = 'day' | 'model' | 'agent' | 'user' | 'client' | 'surface'
export type Page<T> = { items: T[]; nextCursor: string | null }

// Plain data from contracts/ (no zod in the bundle).
export { DISPUTE_STATUSES, ENTRY_KINDS, HOLD_STATUSES } from '../../../../contracts/credits-values.ts'

export type LedgerFilters = {
  kind: EntryKind | ''
  requestId: string
  clientId: string
  userId: string
  from: string
  to: string
}
export const NO_FILTERS: LedgerFilters = { kind: '', requestId: '', clientId: '', userId: '', from: '', to: '' }

export const creditKeys = {
  /** Everything credits-related in a workspace: refreshed after a charge, a dispute or a limit change. */
  all: (ws: string) => ['credits', ws] as const,
  balance: (ws: string, clientId: string | null) => ['credits', ws, 'balance', clientId ?? ''] as const,
  ledger: (ws: string, filters: LedgerFilters) => ['credits', ws, 'ledger', filters] as const,
  holds: (ws: string, status: string) => ['credits', ws, 'holds', status] as const,
  disputes: (ws: string, status: string) => ['credits', ws, 'disputes', status] as const,
  spend: (ws: string, groupBy: SpendGroup, days: number) => ['credits', ws, 'spend', groupBy, days] as const,
  statements: (ws: string) => ['credits', ws, 'statements'] as const,
  limits: (ws: string) => ['credits', ws, 'limits'] as const,
}

/** A date field's "YYYY-MM-DD" as the start of that local day; `to` dates include their whole day. */
const dayBound = (day: string, end: boolean) => {
  if (!day) return undefined
  const d = new Date(`${day}T00:00:00`)
  if (Number.isNaN(d.getTime())) return undefined
  if (end) d.setDate(d.getDate() + 1)
  return d.toISOString()
}

const ledgerQuery = (f: LedgerFilters) => ({
  kind: f.kind || undefined,
  requestId: f.requestId.trim() || undefined,
  clientId: f.clientId || undefined,
  userId: f.userId || undefined,
  from: dayBound(f.from, false),
  to: dayBound(f.to, true),
})

/** Balance, held, available and the caps that apply; with a client, that client's caps too. */
export const getBalance = (ws: string, clientId: string | null, signal?: AbortSignal) =>
  api<CreditBalance>('/api/credits/balance', clientId ? { clientId, signal } : { workspaceId: ws, signal })

export const listLedger = (ws: string, filters: LedgerFilters, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<LedgerEntryDto>>('/api/credits/ledger', {
    workspaceId: ws,
    signal,
    query: { ...ledgerQuery(filters), cursor, limit: 50 },
  })

/** The ledger with these filters as CSV, saved by the browser (the route wants X-Workspace-ID, so no plain link). */
export const downloadLedgerCsv = (ws: string, filters: LedgerFilters) =>
  downloadFile('/api/credits/ledger', {
    headers: { 'x-workspace-id': ws, accept: 'text/csv' },
    query: { format: 'csv', ...ledgerQuery(filters) },
    fallbackName: 'camarad-ledger.csv',
  })

export const listHolds = (ws: string, status: HoldStatus | '', cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<HoldDto>>('/api/credits/holds', {
    workspaceId: ws,
    signal,
    query: { status: status || undefined, cursor, limit: 50 },
  })

export const listDisputes = (
  ws: string,
  status: DisputeStatus | '',
  cursor: string | undefined,
  signal?: AbortSignal,
) =>
  api<Page<DisputeDto>>('/api/credits/disputes', {
    workspaceId: ws,
    signal,
    query: { status: status || undefined, cursor, limit: 50 },
  })

export const openDispute = (ws: string, body: { entryId: string; reason: string }) =>
  api<DisputeDto>('/api/credits/disputes', { method: 'POST', workspaceId: ws, body })

/** Admins: a note for the operator on an open dispute. */
export const addDisputeNote = (ws: string, id: string, note: string) =>
  api<DisputeDto>(`/api/credits/disputes/${encodeURIComponent(id)}/notes`, {
    method: 'POST',
    workspaceId: ws,
    body: { note },
  })

/** Admins: withdraw an open dispute (the charge cannot be disputed again). */
export const withdrawDispute = (ws: string, id: string, note: string) =>
  api<DisputeDto>(`/api/credits/disputes/${encodeURIComponent(id)}/withdraw`, {
    method: 'POST',
    workspaceId: ws,
    body: note ? { note } : {},
  })

export const getSpend = (ws: string, groupBy: SpendGroup, days: number, signal?: AbortSignal) => {
  const to = new Date()
  const from = new Date(to.getTime() - days * 86_400_000)
  return api<SpendDto>('/api/credits/spend', {
    workspaceId: ws,
    signal,
    query: { groupBy, from: from.toISOString(), to: to.toISOString() },
  })
}

export const listStatements = (ws: string, signal?: AbortSignal) =>
  api<{ items: StatementDto[] }>('/api/credits/statements', { workspaceId: ws, signal }).then((r) => r.items)

export const getLimits = (ws: string, signal?: AbortSignal) =>
  api<LimitsDto>('/api/credits/limits', { workspaceId: ws, signal })
export const updateLimits = (ws: string, body: LimitsPatch) =>
  api<LimitsDto>('/api/credits/limits', { method: 'PATCH', workspaceId: ws, body })
export const putCap = (ws: string, body: CapPut) =>
  api<LimitsDto>('/api/credits/caps', { method: 'PUT', workspaceId: ws, body })

/** What sending `content` may cost at most, for the client in X-Client-ID. */
export const estimate = (
  clientId: string,
  body: { content: string; conversationId?: string; agentId?: string; modelId?: string },
  signal?: AbortSignal,
) => api<EstimateDto>('/api/credits/estimate', { method: 'POST', clientId, body, signal })
