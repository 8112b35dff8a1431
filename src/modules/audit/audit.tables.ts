import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp } from '../../platform/db/columns.ts'

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

/** The tables the audit module owns: its handles are typed `Kysely<AuditTables>`. */
export type AuditTables = {
  auditEvents: AuditEventsTable
}

export type AuditEvent = Selectable<AuditEventsTable>
