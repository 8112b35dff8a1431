import type { ColumnType, Generated, Selectable } from 'kysely'
import type { ContactViewFilters, ImportedLead } from '../../../contracts/crm.ts'
import type { NullableTimestamp } from '../../platform/db/columns.ts'

type Json<T> = ColumnType<T, string | undefined, string>
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>
type BigintColumn = ColumnType<bigint, bigint | number | string, bigint | number | string>

/** A custom field's value as stored (validated against its definition when written). */
export type FieldValue = string | number | boolean
export type FieldValues = Record<string, FieldValue>

/** The CRM's settings of a client (one row, created on first change). */
export type CrmSettingsTable = {
  clientId: string
  workspaceId: string
  /** ISO 3166 alpha-2 country a phone without `+` is read in; null: such a phone is refused. */
  defaultCountry: string | null
  /** IANA zone of the client (drafted bookings without a zone take it); null: the default country's first zone. */
  timeZone: string | null
  updatedAt: Generated<Date>
}

export type CrmCompaniesTable = {
  id: string
  workspaceId: string
  clientId: string
  name: string
  domain: string | null
  createdAt: Generated<Date>
}

export type FieldEntity = 'contact' | 'booking'
export type FieldType = 'text' | 'number' | 'date' | 'boolean' | 'select'

/** A client's custom field on contacts or bookings. Never deleted: archived, its stored values kept. */
export type CrmFieldDefinitionsTable = {
  id: string
  workspaceId: string
  clientId: string
  entity: FieldEntity
  key: string
  label: string
  type: FieldType
  /** The choices of a `select` field. */
  options: NullableJson<string[]>
  archivedAt: NullableTimestamp
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/** A person a client deals with. Never deleted: archived, merged into another (archived, `mergedInto`), or erased. */
export type CrmContactsTable = {
  id: string
  workspaceId: string
  clientId: string
  name: string
  tags: Json<string[]>
  fields: Json<FieldValues>
  ownerId: string | null
  companyId: string | null
  archivedAt: NullableTimestamp
  mergedInto: string | null
  erasedAt: NullableTimestamp
  createdBy: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/**
 * Where a phone, email or WhatsApp identity stands: `active` on a live contact (unique per client), `inactive` on an
 * archived one (free to be used by another contact), `removed` taken off the contact (or erased: value null).
 */
export type PointState = 'active' | 'inactive' | 'removed'

export type CrmContactPhonesTable = {
  id: string
  clientId: string
  contactId: string
  /** E.164; null once erased. */
  phone: string | null
  state: PointState
  createdAt: Generated<Date>
}

export type CrmContactEmailsTable = {
  id: string
  clientId: string
  contactId: string
  /** Lowercased; null once erased. */
  email: string | null
  state: PointState
  createdAt: Generated<Date>
}

/** A WhatsApp identity (phone digits or a LID) of a contact: unique per client among identities not removed. */
export type CrmContactIdentitiesTable = {
  id: string
  clientId: string
  contactId: string
  waId: string | null
  state: PointState
  createdAt: Generated<Date>
}

export type StageOutcome = 'open' | 'won' | 'lost'

export type CrmPipelinesTable = {
  id: string
  workspaceId: string
  clientId: string
  name: string
  /** The client's default pipeline (one per client: a unique index). */
  isDefault: boolean
  createdAt: Generated<Date>
}

export type CrmStagesTable = {
  id: string
  clientId: string
  pipelineId: string
  name: string
  position: number
  outcome: StageOutcome
  createdAt: Generated<Date>
}

export type CrmDealsTable = {
  id: string
  workspaceId: string
  clientId: string
  pipelineId: string
  stageId: string
  contactId: string
  title: string
  valueMinor: BigintColumn
  currency: string
  /** Order within its stage on a kanban board (any number; the board sorts ascending). */
  position: number
  status: StageOutcome
  lostReason: string | null
  closedAt: NullableTimestamp
  createdBy: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/** Every stage a deal entered (append-only: the database refuses updates and deletes). */
export type CrmDealStageChangesTable = {
  id: string
  clientId: string
  dealId: string
  fromStageId: string | null
  toStageId: string
  movedBy: string | null
  lostReason: string | null
  at: Generated<Date>
}

export type BookingStatus = 'tentative' | 'confirmed' | 'cancelled' | 'done'

export type CrmBookingsTable = {
  id: string
  workspaceId: string
  clientId: string
  contactId: string
  /** YYYY-MM-DD, in `timeZone`. */
  date: string
  /** HH:MM, in `timeZone`. */
  time: string | null
  timeZone: string
  location: string | null
  items: Json<string[]>
  amountMinor: ColumnType<bigint | null, bigint | number | string | null | undefined, bigint | number | string | null>
  currency: string | null
  status: BookingStatus
  notes: string | null
  fields: Json<FieldValues>
  sourceThreadId: string | null
  sourceMessageIds: NullableJson<string[]>
  createdBy: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/** A contact's figures, kept in the transaction of every booking write (and of every message the contact sends). */
export type CrmContactProfilesTable = {
  contactId: string
  clientId: string
  bookingsCount: Generated<number>
  firstBookingDate: string | null
  lastBookingDate: string | null
  lastContactAt: NullableTimestamp
  updatedAt: Generated<Date>
}

/** A contact's lifetime spend in one currency (bookings not cancelled). */
export type CrmContactSpendTable = {
  contactId: string
  currency: string
  amountMinor: BigintColumn
}

export type CrmNotesTable = {
  id: string
  workspaceId: string
  clientId: string
  contactId: string
  body: string
  authorId: string | null
  /** The flow step's idempotency key when a step added it (unique per client): a retried step finds its note. */
  idempotencyKey: string | null
  createdAt: Generated<Date>
}

export type CrmTasksTable = {
  id: string
  workspaceId: string
  clientId: string
  contactId: string
  title: string
  dueDate: string | null
  doneAt: NullableTimestamp
  createdBy: string | null
  /** The flow step's idempotency key when a step added it (unique per client): a retried step finds its task. */
  idempotencyKey: string | null
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/** A booking draft made by AI from a conversation (append-only): who, which thread and model, the draft as answered. */
export type CrmExtractionsTable = {
  id: string
  workspaceId: string
  clientId: string
  threadId: string
  userId: string | null
  modelId: string
  requestId: string
  demo: boolean
  draft: Json<Record<string, unknown>>
  createdAt: Generated<Date>
}

/** A lead import (issue 14 §8): its counters move with each batch; `completed` once no row is pending. */
export type CrmImportsTable = {
  id: string
  workspaceId: string
  clientId: string
  createdBy: string
  source: string
  idempotencyKey: string | null
  /** sha256 of the request (file, mapping, source): a key reused for another file is refused. */
  fileHash: string
  currency: string
  /** A CSV file, or a list of web pages read by the job. */
  kind: ColumnType<'csv' | 'pages', 'csv' | 'pages' | undefined, never>
  status: 'running' | 'completed'
  total: number
  invalid: ColumnType<number, number | undefined, number>
  imported: ColumnType<number, number | undefined, number>
  duplicates: ColumnType<number, number | undefined, number>
  createdAt: Generated<Date>
  finishedAt: NullableTimestamp
}

export type ImportPageRow = Selectable<CrmImportPagesTable>
export type ImportRowErrorValue = { code: string; message: string }
export type CrmImportRowsTable = {
  importId: string
  rowNumber: number
  status: 'pending' | 'imported' | 'duplicate' | 'invalid'
  lead: Json<ImportedLead>
  errors: Json<ImportRowErrorValue[]>
  contactId: string | null
  dealId: string | null
  /** The page a scraped lead was found on; null for a CSV row. */
  sourceUrl: ColumnType<string | null, string | null | undefined, never>
}

/** One page of a page import: claimed before it is fetched, resolved with its leads in one transaction. */
export type CrmImportPagesTable = {
  importId: string
  position: number
  url: string
  status: 'pending' | 'fetching' | 'done' | 'failed'
  method: 'structured' | 'ai' | 'rules' | null
  found: ColumnType<number, number | undefined, number>
  demo: ColumnType<boolean, boolean | undefined, boolean>
  errorCode: string | null
  errorMessage: string | null
  finishedAt: NullableTimestamp
}

export type CrmTables = {
  crmSettings: CrmSettingsTable
  crmCompanies: CrmCompaniesTable
  crmFieldDefinitions: CrmFieldDefinitionsTable
  crmContacts: CrmContactsTable
  crmContactPhones: CrmContactPhonesTable
  crmContactEmails: CrmContactEmailsTable
  crmContactIdentities: CrmContactIdentitiesTable
  crmPipelines: CrmPipelinesTable
  crmStages: CrmStagesTable
  crmDeals: CrmDealsTable
  crmDealStageChanges: CrmDealStageChangesTable
  crmBookings: CrmBookingsTable
  crmContactProfiles: CrmContactProfilesTable
  crmContactSpend: CrmContactSpendTable
  crmNotes: CrmNotesTable
  crmTasks: CrmTasksTable
  crmExtractions: CrmExtractionsTable
  crmImports: CrmImportsTable
  crmImportRows: CrmImportRowsTable
  crmViews: CrmViewsTable
  crmCampaigns: CrmCampaignsTable
  crmCampaignRecipients: CrmCampaignRecipientsTable
  crmOptOuts: CrmOptOutsTable
  crmImportPages: CrmImportPagesTable
}
/** A saved view of the contacts list: a member's named filters, private or shared with the client's members. */
export type CrmViewsTable = {
  id: string
  workspaceId: string
  clientId: string
  userId: string
  name: string
  shared: Generated<boolean>
  filters: Json<ContactViewFilters>
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

export type ContactRow = Selectable<CrmContactsTable>
export type DealRow = Selectable<CrmDealsTable>
export type BookingRow = Selectable<CrmBookingsTable>
export type FieldDefinitionRow = Selectable<CrmFieldDefinitionsTable>
export type StageRow = Selectable<CrmStagesTable>
export type NoteRow = Selectable<CrmNotesTable>
export type TaskRow = Selectable<CrmTasksTable>
export type ImportRow = Selectable<CrmImportsTable>
export type ImportRowRow = Selectable<CrmImportRowsTable>
export type ViewRow = Selectable<CrmViewsTable>

/** What a campaign sends to each recipient: a text (QR numbers), or an approved Cloud template with its variables. */
export type CampaignMessageValue =
  { type: 'text'; text: string } | { type: 'template'; name: string; language: string; variables: string[] }

/** Which contacts a campaign goes to (evaluated once, when it starts). */
export type CampaignSegmentValue = {
  tagsAny?: string[] | undefined
  tagsAll?: string[] | undefined
  hasWhatsApp?: boolean | undefined
  hasPhone?: boolean | undefined
  createdFrom?: string | undefined
  createdTo?: string | undefined
  lastContactFrom?: string | undefined
  lastContactTo?: string | undefined
}

export type CampaignStatus = 'draft' | 'sending' | 'done' | 'cancelled'

/** A broadcast to a segment of a client's contacts through one of its WhatsApp numbers (issue 14 §9). */
export type CrmCampaignsTable = {
  id: string
  workspaceId: string
  clientId: string
  createdBy: string
  name: string
  channelId: string
  channelKind: 'qr' | 'cloud'
  segment: Json<CampaignSegmentValue>
  message: Json<CampaignMessageValue>
  status: CampaignStatus
  total: ColumnType<number, number | undefined, number>
  queued: ColumnType<number, number | undefined, number>
  skipped: ColumnType<number, number | undefined, number>
  startedBy: string | null
  startedAt: NullableTimestamp
  cancelledBy: string | null
  cancelledAt: NullableTimestamp
  finishedAt: NullableTimestamp
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

export type RecipientState = 'pending' | 'queued' | 'skipped'
export type SkipReason = 'opted_out' | 'no_whatsapp' | 'plan_limit' | 'window_closed' | 'cancelled'

/** A campaign's recipient, frozen at start: one per campaign and contact; the outbox message once queued. */
export type CrmCampaignRecipientsTable = {
  campaignId: string
  contactId: string
  clientId: string
  seq: number
  name: string
  /** The WhatsApp address it is sent to (phone digits or a LID); null when the contact has none. */
  address: string | null
  state: RecipientState
  reason: SkipReason | null
  messageId: string | null
  queuedAt: NullableTimestamp
}

/** An opt-out (or an opt-in back) of a WhatsApp address: append-only; the newest row of an address is its state. */
export type CrmOptOutsTable = {
  seq: Generated<string>
  id: string
  workspaceId: string
  clientId: string
  /** Phone digits (no +) or a LID (`digits@lid`): how WhatsApp names the chat. */
  address: string
  state: 'opted_out' | 'opted_in'
  contactId: string | null
  keyword: string | null
  messageId: string | null
  actorUserId: string | null
  reason: string | null
  createdAt: Generated<Date>
}
export type CampaignRow = Selectable<CrmCampaignsTable>
export type CampaignRecipientRow = Selectable<CrmCampaignRecipientsTable>
