import type { Kysely, Transaction } from 'kysely'
import type { AlertsTables } from './modules/alerts/alerts.tables.ts'
import type { AgentsTables } from './modules/agents/agents.tables.ts'
import type { AuditTables } from './modules/audit/audit.tables.ts'
import type { BillingTables } from './modules/billing/billing.tables.ts'
import type { BoardroomTables } from './modules/boardroom/boardroom.tables.ts'
import type { ChatTables } from './modules/chat/chat.tables.ts'
import type { CreditsTables } from './modules/credits/credits.tables.ts'
import type { FlowsTables } from './modules/flows/flows.tables.ts'
import type { ChannelsTables } from './modules/channels/channels.tables.ts'
import type { InboxTables } from './modules/inbox/inbox.tables.ts'
import type { CrmTables } from './modules/crm/crm.tables.ts'
import type { ConnectorsTables } from './modules/connectors/connectors.tables.ts'
import type { KnowledgeTables } from './modules/knowledge/knowledge.tables.ts'
import type { FeaturesTables } from './modules/features/features.tables.ts'
import type { OpsTables } from './modules/ops/ops.tables.ts'
import type { GatewayTables } from './modules/gateway/gateway.tables.ts'
import type { IdentityTables } from './modules/identity/identity.tables.ts'
import type { MailTables } from './modules/mail/mail.tables.ts'
import type { ModelsTables } from './modules/models/models.tables.ts'
import type { SubscriptionsTables } from './modules/subscriptions/subscriptions.tables.ts'
import type { TenancyTables } from './modules/tenancy/tenancy.tables.ts'
import type { RunsTables } from './platform/runs/runs.tables.ts'

/**
 * The whole database: every module's tables (each module declares its own in `<m>.tables.ts` and queries only
 * through a handle typed to them). Only what is genuinely whole-database uses this: the container, the migrator's
 * callers, tests, scripts and benchmarks.
 */
export type DB = AuditTables &
  IdentityTables &
  MailTables &
  TenancyTables &
  ModelsTables &
  AgentsTables &
  ChatTables &
  BoardroomTables &
  CreditsTables &
  GatewayTables &
  BillingTables &
  SubscriptionsTables &
  FlowsTables &
  ChannelsTables &
  InboxTables &
  CrmTables &
  ConnectorsTables &
  KnowledgeTables &
  FeaturesTables &
  AlertsTables &
  OpsTables &
  RunsTables

export type Db = Kysely<DB>
export type Tx = Transaction<DB>
/** Either the root handle or an open transaction. */
export type Executor = Db | Tx
