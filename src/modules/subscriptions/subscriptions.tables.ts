import type { ColumnType } from 'kysely'
import type { Timestamp, NullableTimestamp } from '../../platform/db/columns.ts'

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

/** The tables the subscriptions module owns: its handles are typed `Kysely<SubscriptionsTables>`. */
export type SubscriptionsTables = {
  stripeEvents: StripeEventsTable
  workspaceSubscriptions: WorkspaceSubscriptionsTable
  billingCheckouts: BillingCheckoutsTable
}
