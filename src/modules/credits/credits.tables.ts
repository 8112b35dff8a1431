import type { Generated, Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp } from '../../platform/db/columns.ts'

export type HoldStatus = 'pending' | 'settled' | 'released' | 'expired'

export type EntryKind = 'grant' | 'purchase' | 'debit' | 'refund' | 'adjustment' | 'expiry'

export type ModelPricesTable = {
  id: string
  modelId: string
  inputPerM: bigint
  outputPerM: bigint
  cachedInputPerM: bigint
  source: 'catalog' | 'operator' | 'shadow-sync'
  validFrom: Timestamp
  validTo: NullableTimestamp
  createdAt: Timestamp
}

export type CreditRatesTable = {
  id: string
  scope: 'live' | 'shadow'
  usdMicroPerCredit: bigint
  bufferBps: number
  marginBps: number
  note: Generated<string>
  validFrom: Timestamp
  validTo: NullableTimestamp
  createdAt: Timestamp
}

export type CreditAccountsTable = {
  workspaceId: string
  balance: Generated<bigint>
  held: Generated<bigint>
  /** Pending streaming holds, kept by the holds' triggers (the concurrent-streams limit is checked against it). */
  streams: Generated<number>
  perRequestCap: bigint | null
  requestsPerMinuteUser: number | null
  requestsPerMinuteWorkspace: number | null
  maxConcurrentStreams: number | null
  createdAt: Timestamp
}

export type CreditCapsTable = {
  workspaceId: string
  subjectKind: 'workspace' | 'client' | 'user'
  subjectId: string
  daily: bigint | null
  monthly: bigint | null
  updatedBy: string
  updatedAt: Timestamp
}

export type CreditHoldsTable = {
  id: string
  workspaceId: string
  requestId: string
  clientId: string | null
  userId: string | null
  tokenId: string | null
  surface: string
  modelId: string
  streaming: boolean
  amount: bigint
  inputTokens: number
  paramsHash: string
  status: Generated<HoldStatus>
  charged: bigint | null
  createdAt: Timestamp
  expiresAt: Timestamp
  resolvedAt: NullableTimestamp
}

export type CreditEntriesTable = {
  id: string
  seq: Generated<bigint>
  workspaceId: string
  kind: EntryKind
  amount: bigint
  requestId: string
  holdId: string | null
  refundOf: string | null
  clientId: string | null
  userId: string | null
  modelId: string | null
  surface: string | null
  reason: Generated<string>
  createdBy: string | null
  createdAt: Timestamp
}

export type CreditOveragesTable = {
  holdId: string
  workspaceId: string
  requestId: string
  held: bigint
  cost: bigint
  charged: bigint
  uncollected: bigint
  createdAt: Timestamp
}

export type CreditDisputesTable = {
  id: string
  workspaceId: string
  entryId: string
  openedBy: string
  reason: string
  status: Generated<'open' | 'approved' | 'rejected' | 'withdrawn'>
  /** Only rows from before one-dispute-per-debit (an older dispute of a debit disputed again); never set since. */
  superseded: Generated<boolean>
  resolutionNote: string | null
  resolvedBy: string | null
  refundEntryId: string | null
  createdAt: Timestamp
  resolvedAt: NullableTimestamp
}

export type CreditDisputeNotesTable = {
  id: string
  disputeId: string
  workspaceId: string
  authorId: string
  note: string
  createdAt: Timestamp
}

export type CreditStatementsTable = {
  workspaceId: string
  month: string
  userId: Generated<string>
  granted: bigint
  purchased: bigint
  charged: bigint
  refunded: bigint
  adjusted: bigint
  calls: number
  createdAt: Timestamp
}

/** The tables the credits module owns: its handles are typed `Kysely<CreditsTables>`. */
export type CreditsTables = {
  modelPrices: ModelPricesTable
  creditRates: CreditRatesTable
  creditAccounts: CreditAccountsTable
  creditCaps: CreditCapsTable
  creditHolds: CreditHoldsTable
  creditEntries: CreditEntriesTable
  creditOverages: CreditOveragesTable
  creditDisputes: CreditDisputesTable
  creditDisputeNotes: CreditDisputeNotesTable
  creditStatements: CreditStatementsTable
}

export type CreditDispute = Selectable<CreditDisputesTable>
export type CreditHold = Selectable<CreditHoldsTable>
export type CreditEntry = Selectable<CreditEntriesTable>
export type CreditCap = Selectable<CreditCapsTable>
export type CreditStatement = Selectable<CreditStatementsTable>
export type ModelPrice = Selectable<ModelPricesTable>
export type CreditRate = Selectable<CreditRatesTable>
