import type { ColumnType, Generated, Selectable } from 'kysely'
import type { RunEventsTable, RunsTable } from '../runs/runs.tables.ts'

/** Timestamps are written as Date (or defaulted by the database) and always read as Date. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export type Role = 'owner' | 'admin' | 'member' | 'viewer'

export type UsersTable = {
  id: string
  email: string
  name: string
  passwordHash: string | null
  googleSub: string | null
  emailVerifiedAt: NullableTimestamp
  createdAt: Timestamp
  updatedAt: Timestamp
}
export type AuthTokensTable = {
  id: string
  userId: string
  purpose: 'verify_email' | 'reset_password'
  tokenHash: string
  expiresAt: Date
  usedAt: NullableTimestamp
  createdAt: Timestamp
}
export type EmailStatus = 'queued' | 'stored' | 'sent' | 'failed'
export type EmailOutboxTable = {
  id: string
  kind: string
  toAddress: string
  subject: string
  textBody: string
  link: string | null
  status: Generated<EmailStatus>
  attempts: Generated<number>
  lastError: string | null
  messageId: string | null
  createdAt: Timestamp
  sentAt: NullableTimestamp
}
export type SessionsTable = {
  id: string
  userId: string
  tokenHash: string
  ip: string | null
  userAgent: string | null
  createdAt: Timestamp
  expiresAt: Timestamp
}
export type ApiTokensTable = {
  id: string
  userId: string
  name: string
  tokenHash: string
  prefix: string
  workspaceId: string | null
  clientId: string | null
  createdAt: Timestamp
  expiresAt: NullableTimestamp
  lastUsedAt: NullableTimestamp
  revokedAt: NullableTimestamp
}
export type WorkspacesTable = {
  id: string
  name: string
  plan: Generated<string>
  createdAt: Timestamp
  updatedAt: Timestamp
}
export type MembershipsTable = {
  workspaceId: string
  userId: string
  role: Role
  createdAt: Timestamp
}
export type InvitationsTable = {
  id: string
  workspaceId: string
  email: string
  role: Role
  tokenHash: string
  invitedBy: string
  createdAt: Timestamp
  expiresAt: Timestamp
  acceptedAt: NullableTimestamp
  acceptedBy: string | null
  revokedAt: NullableTimestamp
}
export type ClientsTable = {
  id: string
  workspaceId: string
  name: string
  website: string | null
  notes: string | null
  archivedAt: NullableTimestamp
  createdAt: Timestamp
  updatedAt: Timestamp
}
export type AuditEventsTable = {
  id: string
  seq: Generated<bigint>
  workspaceId: string | null
  actorUserId: string | null
  subjectUserId: string | null
  action: string
  targetType: string | null
  targetId: string | null
  ip: string | null
  metadata: ColumnType<Record<string, unknown>, string, never>
  createdAt: Timestamp
}

export type AgentsTable = {
  id: string
  workspaceId: string
  name: string
  avatar: Generated<string>
  description: Generated<string>
  instructions: string
  modelId: string | null
  tools: ColumnType<string[], string, string>
  createdBy: string
  archivedAt: NullableTimestamp
  createdAt: Timestamp
  updatedAt: Timestamp
}
export type ConversationsTable = {
  id: string
  workspaceId: string
  clientId: string
  agentId: string
  title: Generated<string>
  pinned: Generated<boolean>
  archivedAt: NullableTimestamp
  createdBy: string
  lastMessageAt: Timestamp
  createdAt: Timestamp
}
export type MessageStatus = 'complete' | 'streaming' | 'cancelled' | 'failed'
export type MessagesTable = {
  id: string
  seq: Generated<bigint>
  conversationId: string
  clientId: string
  role: 'user' | 'assistant'
  content: Generated<string>
  parts: ColumnType<unknown[], string | undefined, string>
  status: MessageStatus
  agentId: string | null
  modelId: string | null
  usage: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  error: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  authorId: string | null
  requestId: string | null
  /** An answer's run (the run layer's row); null for questions. */
  runId: Generated<string | null>
  createdAt: Timestamp
  completedAt: NullableTimestamp
}

export type { RunStatus } from '../runs/runs.tables.ts'

export type ModelCallsTable = {
  id: string
  workspaceId: string
  clientId: string | null
  userId: string
  tokenId: string | null
  surface: 'chat' | 'v1' | 'boardroom'
  requestId: string
  modelId: string
  status: 'complete' | 'cancelled' | 'failed'
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
  usageEstimated: boolean
  holdId: string | null
  agentId: string | null
  priceId: string | null
  rateId: string | null
  shadowRateId: string | null
  costUsdMicro: bigint | null
  charged: bigint | null
  shadowCharged: bigint | null
  response: ColumnType<Record<string, unknown> | null, string | null | undefined, never>
  createdAt: Timestamp
}

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
export type HoldStatus = 'pending' | 'settled' | 'released' | 'expired'
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
export type EntryKind = 'grant' | 'purchase' | 'debit' | 'refund' | 'adjustment' | 'expiry'
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

export type TurnStatus = 'complete' | 'streaming' | 'cancelled' | 'failed'

export type MeetingsTable = {
  id: string
  workspaceId: string
  clientId: string
  topic: string
  agentIds: ColumnType<string[], string, string>
  rounds: number
  summary: Generated<string>
  createdBy: string
  requestId: string | null
  createdAt: Timestamp
}
export type MeetingTurnsTable = {
  id: string
  meetingId: string
  clientId: string
  round: number
  position: number
  speaker: string
  content: Generated<string>
  status: TurnStatus
  modelId: string
  usage: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  createdAt: Timestamp
}

export type ProviderKeysTable = {
  workspaceId: string
  provider: 'openai' | 'anthropic' | 'google' | 'groq' | 'openai-compatible'
  sealedKey: string
  keyHint: string
  baseUrl: string | null
  models: ColumnType<string[], string | undefined, string>
  updatedBy: string
  updatedAt: Timestamp
}

export type AgentOverridesTable = {
  clientId: string
  agentId: string
  instructions: Generated<string>
  modelId: string | null
  updatedBy: string
  updatedAt: Timestamp
}

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

export type StreamProgressTable = {
  workspaceId: string
  requestId: string
  output: string
  updatedAt: Timestamp
}

export type StripeEventStatus = 'pending' | 'processed' | 'ignored' | 'dead'
export type StripeEventsTable = {
  id: string
  type: string
  payload: ColumnType<Record<string, unknown>, string, never>
  receivedAt: Timestamp
  status: ColumnType<StripeEventStatus, StripeEventStatus | undefined, StripeEventStatus>
  attempts: ColumnType<number, number | undefined, number>
  lastError: string | null
  processedAt: NullableTimestamp
  /** A refund or chargeback: the workspace whose credits it took back, and the micro-credits it could not (already spent). */
  workspaceId: ColumnType<string | null, string | null | undefined, string | null>
  unrecoveredCredits: ColumnType<bigint | null, bigint | null | undefined, bigint | null>
}

export type WorkspaceSubscriptionsTable = {
  workspaceId: string
  stripeCustomerId: string
  stripeSubscriptionId: string | null
  status: string | null
  plan: string | null
  currentPeriodEnd: NullableTimestamp
  updatedFromEventCreated: NullableTimestamp
  updatedAt: Timestamp
}

export type BillingCheckoutsTable = {
  id: string
  workspaceId: string
  mode: 'subscription' | 'payment'
  plan: string | null
  credits: number | null
  createdBy: string
  createdAt: Timestamp
}

export type DB = {
  users: UsersTable
  authTokens: AuthTokensTable
  emailOutbox: EmailOutboxTable
  sessions: SessionsTable
  apiTokens: ApiTokensTable
  workspaces: WorkspacesTable
  memberships: MembershipsTable
  invitations: InvitationsTable
  clients: ClientsTable
  auditEvents: AuditEventsTable
  agents: AgentsTable
  conversations: ConversationsTable
  messages: MessagesTable
  modelCalls: ModelCallsTable
  meetings: MeetingsTable
  meetingTurns: MeetingTurnsTable
  runs: RunsTable
  runEvents: RunEventsTable
  providerKeys: ProviderKeysTable
  agentOverrides: AgentOverridesTable
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
  streamProgress: StreamProgressTable
  providerCostImports: ProviderCostImportsTable
  providerCosts: ProviderCostsTable
  reconciliationRuns: ReconciliationRunsTable
  reconciliationDeltas: ReconciliationDeltasTable
  billingAlerts: BillingAlertsTable
  stripeEvents: StripeEventsTable
  workspaceSubscriptions: WorkspaceSubscriptionsTable
  billingCheckouts: BillingCheckoutsTable
}

export type User = Selectable<UsersTable>
export type CreditDispute = Selectable<CreditDisputesTable>
export type OutboxEmail = Selectable<EmailOutboxTable>
export type Workspace = Selectable<WorkspacesTable>
export type Client = Selectable<ClientsTable>
export type Invitation = Selectable<InvitationsTable>
export type ApiToken = Selectable<ApiTokensTable>
export type AuditEvent = Selectable<AuditEventsTable>
export type AgentRow = Selectable<AgentsTable>
export type Conversation = Selectable<ConversationsTable>
export type Message = Selectable<MessagesTable>
export type CreditHold = Selectable<CreditHoldsTable>
export type CreditEntry = Selectable<CreditEntriesTable>
export type ModelPrice = Selectable<ModelPricesTable>
export type CreditRate = Selectable<CreditRatesTable>
