import type { ColumnType } from 'kysely'
import type { AlertKind, AlertSeverity } from '../../../contracts/alerts.ts'
import type { NullableTimestamp, Timestamp } from '../../platform/db/columns.ts'

export type AlertsTable = {
  id: string
  /** Null for the operator's alerts (margin). */
  workspaceId: string | null
  kind: AlertKind
  severity: AlertSeverity
  /** What the alert is about (a user, a limit, a number, a flow): with the kind and the window, the dedupe key. */
  subject: string
  dedupeKey: string
  title: string
  message: string
  link: string | null
  data: ColumnType<Record<string, unknown>, string, never>
  createdAt: Timestamp
  acknowledgedAt: NullableTimestamp
  acknowledgedBy: string | null
  deliveredAt: NullableTimestamp
}

export type AlertWebhooksTable = {
  workspaceId: string
  url: string
  sealedSecret: string
  hint: string
  updatedBy: string
  updatedAt: Timestamp
}

/** The tables the alerts module owns. */
export type AlertsTables = { alerts: AlertsTable; alertWebhooks: AlertWebhooksTable }
