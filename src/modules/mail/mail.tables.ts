import type { Generated, Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp } from '../../platform/db/columns.ts'

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

/** The tables the mail module owns: its handles are typed `Kysely<MailTables>`. */
export type MailTables = {
  emailOutbox: EmailOutboxTable
}

export type OutboxEmail = Selectable<EmailOutboxTable>
