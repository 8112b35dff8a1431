import { z } from 'zod'
import { Email, Id, PageQuery, Timestamp, page } from './common.ts'

/**
 * The CRM (issue 14, ADR 0006): contacts, companies, custom fields, pipelines and deals, bookings, notes, tasks and a
 * contact's timeline. Nothing here is ever deleted: contacts are archived or merged; erasure is an operator action.
 *
 * Routes (client-scoped: X-Client-ID on the list and create routes; a record's own client decides the rest):
 * - GET/PUT  /api/crm/settings                  the client's CRM settings (default country; PUT: admins)
 * - GET/POST /api/crm/fields                    custom field definitions (POST: admins); PATCH /api/crm/fields/:id
 * - GET/POST /api/crm/companies
 * - GET/POST /api/crm/contacts                  list (q, tag, owner, archived; paged, newest first) and create
 * - GET/PATCH /api/crm/contacts/:id             one contact (with its profile figures); change
 * - POST /api/crm/contacts/:id/archive | /unarchive | /merge { otherId }
 * - GET  /api/crm/contacts/:id/timeline         notes, tasks, bookings, deals and WhatsApp messages, newest first
 * - GET/POST /api/crm/contacts/:id/notes, /api/crm/contacts/:id/tasks; PATCH /api/crm/tasks/:id
 * - GET/POST /api/crm/pipelines (POST: admins); GET/PATCH /api/crm/pipelines/:id; POST /api/crm/pipelines/:id/stages
 * - GET/POST /api/crm/deals; GET/PATCH /api/crm/deals/:id (moves stage/position); GET /api/crm/deals/:id/history
 * - GET/POST /api/crm/bookings (list newest first; filters contactId, status, from, to); GET/PATCH /api/crm/bookings/:id
 * - POST /api/operator/crm/contacts/:id/erase { reason } (X-Internal-Token)
 * - POST /api/inbox/threads/:id/extract-booking {}  a booking draft from a conversation (members; metered; writes only
 *   its audit record): save it with POST /api/crm/bookings and `source: { threadId, messageIds }`
 * - POST /api/crm/contacts/:id/ask { question }     an answer from the contact's own records, with citations (members)
 * - campaigns (/api/crm/campaigns…) and opt-outs (/api/crm/contacts/:id/consent, …/opt-in): contracts/crm-campaigns.ts
 */

/** YYYY-MM-DD (the service checks it is a calendar date). */
export const DateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
/** HH:MM, 24-hour. */
export const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM')
/** ISO 4217 code, upper case. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code like EUR')
/** Integer minor units (cents, bani). */
export const MinorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

const Tag = z.string().trim().min(1).max(32)
const Tags = z.array(Tag).max(20)
/** Phone digits (`40712345678`) or a LID (`12345678901234@lid`): how WhatsApp names a chat. */
export const WaId = z.string().regex(/^\d{5,20}(@lid)?$/, 'phone digits or a LID (digits@lid)')
/** As typed: `+40 712 345 678`, or `0712 345 678` read in the client's default country. Stored E.164. */
const PhoneInput = z.string().trim().min(3).max(40)
export const FieldValue = z.union([z.string().max(1000), z.number(), z.boolean()])
/** Custom field values by key; `null` clears one (on a change). */
export const FieldValues = z.record(z.string().max(40), FieldValue)
const FieldChanges = z.record(z.string().max(40), FieldValue.nullable())

export const CrmSettingsDto = z
  .object({ defaultCountry: z.string().nullable(), timeZone: z.string().nullable() })
  .meta({ id: 'CrmSettings' })
export type CrmSettingsDto = z.infer<typeof CrmSettingsDto>
export const CrmSettingsPut = z.strictObject({
  /** ISO 3166 alpha-2 (`RO`), or null: phones must then start with `+`. */
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .nullable(),
  /**
   * The client's IANA time zone (`Europe/Bucharest`; checked with Intl, else 400 `crm.invalid_time_zone`), or null for
   * the default country's first zone. Omitted: unchanged.
   */
  timeZone: z.string().trim().min(1).max(64).nullable().optional(),
})
export type CrmSettingsPut = z.infer<typeof CrmSettingsPut>

export const FieldEntity = z.enum(['contact', 'booking'])
export const FieldType = z.enum(['text', 'number', 'date', 'boolean', 'select'])
export const FieldDefinitionDto = z
  .object({
    id: z.string(),
    entity: FieldEntity,
    key: z.string(),
    label: z.string(),
    type: FieldType,
    options: z.array(z.string()).nullable(),
    archived: z.boolean(),
    createdAt: Timestamp,
  })
  .meta({ id: 'CrmFieldDefinition' })
export type FieldDefinitionDto = z.infer<typeof FieldDefinitionDto>
const FieldOptions = z.array(z.string().trim().min(1).max(100)).min(1).max(100)
export const FieldCreate = z.strictObject({
  entity: FieldEntity,
  key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower case letters, digits and _, starting with a letter'),
  label: z.string().trim().min(1).max(100),
  type: FieldType,
  options: FieldOptions.optional(),
})
export type FieldCreate = z.infer<typeof FieldCreate>
export const FieldPatch = z.strictObject({
  label: z.string().trim().min(1).max(100).optional(),
  options: FieldOptions.optional(),
  archived: z.boolean().optional(),
})
export type FieldPatch = z.infer<typeof FieldPatch>
export const FieldListQuery = z.strictObject({ entity: FieldEntity.optional() })

export const CompanyDto = z
  .object({ id: z.string(), name: z.string(), domain: z.string().nullable(), createdAt: Timestamp })
  .meta({ id: 'CrmCompany' })
export type CompanyDto = z.infer<typeof CompanyDto>
export const CompanyPage = page(CompanyDto)
export const CompanyCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a domain like example.com')
    .max(253)
    .optional(),
})
export type CompanyCreate = z.infer<typeof CompanyCreate>

export const ProfileDto = z
  .object({
    /** Bookings not cancelled. */
    bookingsCount: z.number().int(),
    /** Lifetime spend per currency, in minor units: bookings not cancelled. */
    spend: z.array(z.object({ currency: z.string(), amountMinor: z.number().int() })),
    firstBookingDate: z.string().nullable(),
    lastBookingDate: z.string().nullable(),
    /** When the contact last wrote on WhatsApp. */
    lastContactAt: Timestamp.nullable(),
  })
  .meta({ id: 'CrmContactProfile' })
export type ProfileDto = z.infer<typeof ProfileDto>

export const ContactDto = z
  .object({
    id: z.string(),
    name: z.string(),
    phones: z.array(z.string()),
    emails: z.array(z.string()),
    /** WhatsApp ids (phone digits or LIDs) the contact writes from. */
    identities: z.array(z.string()),
    tags: z.array(z.string()),
    fields: FieldValues,
    ownerId: z.string().nullable(),
    companyId: z.string().nullable(),
    archived: z.boolean(),
    mergedInto: z.string().nullable(),
    erased: z.boolean(),
    profile: ProfileDto,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'CrmContact' })
export type ContactDto = z.infer<typeof ContactDto>
export const ContactPage = page(ContactDto)
export const ContactCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  phones: z.array(PhoneInput).max(10).optional(),
  emails: z.array(Email).max(10).optional(),
  identities: z.array(WaId).max(10).optional(),
  tags: Tags.optional(),
  fields: FieldValues.optional(),
  ownerId: Id.nullable().optional(),
  companyId: Id.nullable().optional(),
})
export type ContactCreate = z.infer<typeof ContactCreate>
/** Lists (phones, emails, identities, tags) replace the contact's; `fields` changes only the keys it names. */
export const ContactPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  phones: z.array(PhoneInput).max(10).optional(),
  emails: z.array(Email).max(10).optional(),
  identities: z.array(WaId).max(10).optional(),
  tags: Tags.optional(),
  fields: FieldChanges.optional(),
  ownerId: Id.nullable().optional(),
  companyId: Id.nullable().optional(),
})
export type ContactPatch = z.infer<typeof ContactPatch>
export const ContactListQuery = PageQuery.extend({
  /** A name, phone, email or WhatsApp id (part of it). */
  q: z.string().trim().min(1).max(100).optional(),
  tag: Tag.optional(),
  owner: Id.optional(),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
})
export type ContactListQuery = z.infer<typeof ContactListQuery>
/** What a saved view of the contacts list keeps: the list's filters (not its page). */
export const ContactViewFilters = z
  .strictObject({
    q: z.string().trim().min(1).max(100).optional(),
    tag: Tag.optional(),
    owner: Id.optional(),
    archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
  })
  .meta({ id: 'CrmContactViewFilters' })
export type ContactViewFilters = z.infer<typeof ContactViewFilters>
export const ContactViewDto = z
  .object({
    id: z.string(),
    name: z.string(),
    /** Shared views are readable by the client's members; only their owner changes or deletes them. */
    shared: z.boolean(),
    filters: ContactViewFilters,
    ownerId: z.string(),
    /** The caller's own view. */
    mine: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'CrmContactView' })
export type ContactViewDto = z.infer<typeof ContactViewDto>
const ViewName = z.string().trim().min(1).max(60)
export const ContactViewCreate = z.strictObject({
  name: ViewName,
  shared: z.boolean().default(false),
  filters: ContactViewFilters,
})
export type ContactViewCreate = z.infer<typeof ContactViewCreate>
export const ContactViewPatch = z.strictObject({
  name: ViewName.optional(),
  shared: z.boolean().optional(),
  filters: ContactViewFilters.optional(),
})
export type ContactViewPatch = z.infer<typeof ContactViewPatch>

export const MergeBody = z.strictObject({ otherId: Id })
export const EraseBody = z.strictObject({ reason: z.string().trim().min(3).max(500) })

export const StageDto = z
  .object({ id: z.string(), name: z.string(), position: z.number().int(), outcome: z.enum(['open', 'won', 'lost']) })
  .meta({ id: 'CrmStage' })
export type StageDto = z.infer<typeof StageDto>
export const PipelineDto = z
  .object({ id: z.string(), name: z.string(), isDefault: z.boolean(), stages: z.array(StageDto), createdAt: Timestamp })
  .meta({ id: 'CrmPipeline' })
export type PipelineDto = z.infer<typeof PipelineDto>
const StageCreate = z.strictObject({
  name: z.string().trim().min(1).max(60),
  outcome: z.enum(['open', 'won', 'lost']).default('open'),
})
export const PipelineCreate = z.strictObject({
  name: z.string().trim().min(1).max(100),
  stages: z.array(StageCreate).min(1).max(20),
})
export type PipelineCreate = z.infer<typeof PipelineCreate>
export const PipelinePatch = z.strictObject({ name: z.string().trim().min(1).max(100) })
export const StageAdd = StageCreate.extend({ position: z.number().int().min(0).max(100).optional() })
export type StageAdd = z.infer<typeof StageAdd>

export const DealStatus = z.enum(['open', 'won', 'lost'])
export const DealDto = z
  .object({
    id: z.string(),
    title: z.string(),
    contactId: z.string(),
    pipelineId: z.string(),
    stageId: z.string(),
    valueMinor: z.number().int(),
    currency: z.string(),
    position: z.number(),
    status: DealStatus,
    lostReason: z.string().nullable(),
    closedAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'CrmDeal' })
export type DealDto = z.infer<typeof DealDto>
export const DealPage = page(DealDto)
const Reason = z.string().trim().min(1).max(500)
export const DealCreate = z.strictObject({
  title: z.string().trim().min(1).max(200),
  contactId: Id,
  /** Default: the client's default pipeline (created on first use). */
  pipelineId: Id.optional(),
  /** Default: the pipeline's first stage. */
  stageId: Id.optional(),
  valueMinor: MinorUnits.default(0),
  currency: Currency.default('EUR'),
  position: z.number().finite().optional(),
  lostReason: Reason.optional(),
})
export type DealCreate = z.infer<typeof DealCreate>
export const DealPatch = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  valueMinor: MinorUnits.optional(),
  currency: Currency.optional(),
  stageId: Id.optional(),
  position: z.number().finite().optional(),
  /** Required when the deal moves to a stage marked lost. */
  lostReason: Reason.optional(),
})
export type DealPatch = z.infer<typeof DealPatch>
export const DealListQuery = PageQuery.extend({
  pipelineId: Id.optional(),
  stageId: Id.optional(),
  contactId: Id.optional(),
  status: DealStatus.optional(),
})
export type DealListQuery = z.infer<typeof DealListQuery>
export const DealStageChangeDto = z
  .object({
    id: z.string(),
    fromStageId: z.string().nullable(),
    toStageId: z.string(),
    movedBy: z.string().nullable(),
    lostReason: z.string().nullable(),
    at: Timestamp,
  })
  .meta({ id: 'CrmDealStageChange' })
export const DealHistory = z.object({ items: z.array(DealStageChangeDto) })

export const BookingStatus = z.enum(['tentative', 'confirmed', 'cancelled', 'done'])
export const Money = z.strictObject({ minor: MinorUnits, currency: Currency })
export const BookingSource = z.strictObject({
  threadId: Id,
  messageIds: z.array(Id).min(1).max(50),
})
export const BookingDto = z
  .object({
    id: z.string(),
    contactId: z.string(),
    date: z.string(),
    time: z.string().nullable(),
    timeZone: z.string(),
    location: z.string().nullable(),
    items: z.array(z.string()),
    amount: z.object({ minor: z.number().int(), currency: z.string() }).nullable(),
    status: BookingStatus,
    notes: z.string().nullable(),
    fields: FieldValues,
    source: z.object({ threadId: z.string(), messageIds: z.array(z.string()) }).nullable(),
    createdBy: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'CrmBooking' })
export type BookingDto = z.infer<typeof BookingDto>
export const BookingPage = page(BookingDto)
const Items = z.array(z.string().trim().min(1).max(200)).max(50)
const TimeZone = z.string().min(1).max(64)
export const BookingCreate = z.strictObject({
  contactId: Id,
  date: DateOnly,
  time: TimeOfDay.nullable().optional(),
  timeZone: TimeZone,
  location: z.string().trim().max(500).nullable().optional(),
  items: Items.optional(),
  amount: Money.nullable().optional(),
  status: BookingStatus.default('confirmed'),
  notes: z.string().max(4000).nullable().optional(),
  fields: FieldValues.optional(),
  /** The inbox messages it came from (a thread of this client and messages in it). */
  source: BookingSource.nullable().optional(),
})
export type BookingCreate = z.infer<typeof BookingCreate>
export const BookingPatch = z.strictObject({
  date: DateOnly.optional(),
  time: TimeOfDay.nullable().optional(),
  timeZone: TimeZone.optional(),
  location: z.string().trim().max(500).nullable().optional(),
  items: Items.optional(),
  amount: Money.nullable().optional(),
  status: BookingStatus.optional(),
  notes: z.string().max(4000).nullable().optional(),
  fields: FieldChanges.optional(),
})
export type BookingPatch = z.infer<typeof BookingPatch>
export const BookingListQuery = PageQuery.extend({
  contactId: Id.optional(),
  status: BookingStatus.optional(),
  /** Bookings on or after this date. */
  from: DateOnly.optional(),
  /** Bookings on or before this date. */
  to: DateOnly.optional(),
})
export type BookingListQuery = z.infer<typeof BookingListQuery>

export const CrmNoteDto = z
  .object({
    id: z.string(),
    contactId: z.string(),
    body: z.string(),
    authorId: z.string().nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'CrmNote' })
export type CrmNoteDto = z.infer<typeof CrmNoteDto>
export const CrmNotePage = page(CrmNoteDto)
export const CrmNoteCreate = z.strictObject({ body: z.string().trim().min(1).max(4000) })

export const TaskDto = z
  .object({
    id: z.string(),
    contactId: z.string(),
    title: z.string(),
    dueDate: z.string().nullable(),
    done: z.boolean(),
    doneAt: Timestamp.nullable(),
    createdBy: z.string().nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'CrmTask' })
export type TaskDto = z.infer<typeof TaskDto>
export const TaskPage = page(TaskDto)
export const TaskCreate = z.strictObject({
  title: z.string().trim().min(1).max(300),
  dueDate: DateOnly.nullable().optional(),
})
export type TaskCreate = z.infer<typeof TaskCreate>
export const TaskPatch = z.strictObject({
  title: z.string().trim().min(1).max(300).optional(),
  dueDate: DateOnly.nullable().optional(),
  done: z.boolean().optional(),
})
export type TaskPatch = z.infer<typeof TaskPatch>

export const TimelineMessage = z.object({
  id: z.string(),
  threadId: z.string(),
  channelId: z.string(),
  direction: z.enum(['in', 'out']),
  type: z.string(),
  text: z.string().nullable(),
  at: Timestamp,
})
export const TimelineItem = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('note'), at: Timestamp, note: CrmNoteDto }),
    z.object({ kind: z.literal('task'), at: Timestamp, task: TaskDto }),
    z.object({ kind: z.literal('booking'), at: Timestamp, booking: BookingDto }),
    z.object({ kind: z.literal('deal'), at: Timestamp, deal: DealDto }),
    z.object({ kind: z.literal('message'), at: Timestamp, message: TimelineMessage }),
  ])
  .meta({ id: 'CrmTimelineItem' })
export type TimelineItem = z.infer<typeof TimelineItem>
export const TimelinePage = page(TimelineItem)

/** A drafted value and the message it was read from (null: unknown, never guessed; or not from a message). */
export const DraftField = <T extends z.ZodType>(value: T) =>
  z.object({ value: value.nullable(), sourceMessageId: z.string().nullable() })
export const ExtractBookingBody = z.strictObject({})
export const BookingDraftDto = z
  .object({
    /** The audit record of this extraction (crm_extractions row). */
    extractionId: z.string(),
    threadId: z.string(),
    /** The CRM contact of the thread's WhatsApp identity (created by the inbox feed). */
    contactId: z.string().nullable(),
    fields: z.object({
      /** YYYY-MM-DD */
      date: DraftField(z.string()),
      /** HH:MM */
      time: DraftField(z.string()),
      /** IANA; defaults to the client's zone when the text has none (sourceMessageId null). */
      timeZone: DraftField(z.string()),
      location: DraftField(z.string()),
      items: DraftField(z.array(z.string())),
      amount: DraftField(z.object({ minor: z.number().int(), currency: z.string() })),
      notes: DraftField(z.string()),
    }),
    /** The messages read (for BookingCreate.source). */
    messageIds: z.array(z.string()),
    /** True when answered by the offline model (label "Demo data"/"offline"). */
    demo: z.boolean(),
  })
  .meta({ id: 'CrmBookingDraft' })
export type BookingDraftDto = z.infer<typeof BookingDraftDto>

export const AskBody = z.strictObject({ question: z.string().trim().min(1).max(500) })
export type AskBody = z.infer<typeof AskBody>
export const AskCitation = z.object({
  type: z.enum(['contact', 'booking', 'deal', 'message']),
  id: z.string(),
  /** e.g. "Booking 2027-03-14 · 800.00 RON" */
  label: z.string(),
})
export type AskCitation = z.infer<typeof AskCitation>
export const AskAnswerDto = z
  .object({
    answer: z.string(),
    citations: z.array(AskCitation),
    demo: z.boolean(),
  })
  .meta({ id: 'CrmAskAnswer' })
export type AskAnswerDto = z.infer<typeof AskAnswerDto>

/**
 * Lead import (issue 14 §8): a CSV (the file's text in JSON, at most 5 MB and 10,000 rows; `,` `;` or tab, a header
 * row, a BOM) mapped column by column. POST /api/crm/imports/preview answers the headers, a suggested mapping and the
 * first rows mapped; POST /api/crm/imports with `dryRun` answers the counts and per-row errors and writes nothing;
 * without it each valid row becomes a contact and a deal in the default pipeline's first stage (by a job, in batches),
 * duplicates of existing contacts or of an earlier row reported, not imported. GET /api/crm/imports/:id shows progress
 * and GET /api/crm/imports/:id/rows the rows' results (paged).
 */
export const IMPORT_MAX_BYTES = 5 * 1024 * 1024
export const IMPORT_MAX_ROWS = 10_000
export const ImportField = z.enum(['name', 'phone', 'email', 'tags', 'company', 'dealTitle', 'dealValue'])
export type ImportField = z.infer<typeof ImportField>
/** Which column (by its header, as the file spells it) feeds each field; a field left out is not imported. */
export const ImportMapping = z.partialRecord(ImportField, z.string().min(1).max(200))
export type ImportMapping = z.infer<typeof ImportMapping>
export const ImportCsv = z.strictObject({
  csv: z
    .string()
    .min(1)
    .max(IMPORT_MAX_BYTES)
    .meta({ description: `The CSV file's text (UTF-8), at most ${IMPORT_MAX_BYTES} characters.` }),
  delimiter: z.enum([',', ';', '\t']).optional().meta({ description: 'Detected from the header line when left out.' }),
  mapping: ImportMapping.optional().meta({ description: 'Column of each field; the suggested mapping when left out.' }),
})
export type ImportCsv = z.infer<typeof ImportCsv>
export const ImportCreate = ImportCsv.extend({
  source: z.string().trim().min(1).max(100).meta({ description: 'Where the leads come from (a fair, a website…).' }),
  dryRun: z.boolean().default(false),
  currency: Currency.default('RON').meta({ description: "The deals' currency (deal values are in major units)." }),
})
export type ImportCreate = z.infer<typeof ImportCreate>
/** Web pages to read leads from (issue 14 §8): fetched by the import's job through the egress guard, never twice. */
export const IMPORT_MAX_URLS = 20
export const ImportPagesCreate = z.strictObject({
  urls: z
    .array(z.string().trim().min(1).max(2000))
    .min(1)
    .max(IMPORT_MAX_URLS)
    .meta({ description: `Public http(s) pages, at most ${IMPORT_MAX_URLS}; a URL given twice is read once.` }),
  source: ImportCreate.shape.source,
  dryRun: z.boolean().default(false).meta({ description: 'Checks the addresses (scheme, DNS) and fetches nothing.' }),
  currency: ImportCreate.shape.currency,
})
export type ImportPagesCreate = z.infer<typeof ImportPagesCreate>
/** POST /api/crm/imports takes a CSV file (`csv`) or a list of pages (`urls`). */
export const ImportRequest = z.union([ImportCreate, ImportPagesCreate])
export type ImportRequest = z.infer<typeof ImportRequest>
export const ImportedLead = z.object({
  name: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  tags: z.array(z.string()),
  company: z.string().nullable(),
  dealTitle: z.string().nullable(),
  dealValueMinor: z.number().int().nullable(),
})
export type ImportedLead = z.infer<typeof ImportedLead>
export const ImportRowError = z.object({
  code: z.enum([
    'invalid_phone',
    'phone_needs_country',
    'invalid_email',
    'missing_name',
    'invalid_value',
    'duplicate_row',
  ]),
  message: z.string(),
})
export const ImportPreview = z.object({
  delimiter: z.enum([',', ';', '\t']),
  headers: z.array(z.string()),
  suggestedMapping: ImportMapping,
  totalRows: z.number().int(),
  rows: z.array(
    z
      .object({ row: z.number().int(), lead: ImportedLead, errors: z.array(ImportRowError) })
      .meta({ id: 'ImportPreviewRow' }),
  ),
})
export type ImportPreview = z.infer<typeof ImportPreview>
export const ImportRowStatus = z.enum(['pending', 'imported', 'duplicate', 'invalid'])
export type ImportRowStatus = z.infer<typeof ImportRowStatus>
export const ImportRowDto = z
  .object({
    row: z.number().int().meta({
      description: "The file's line number of the row (the header is line 1); for pages, the lead's number as found.",
    }),
    status: ImportRowStatus,
    lead: ImportedLead,
    contactId: z.string().nullable().meta({ description: 'The new contact, or the existing one a duplicate matches.' }),
    dealId: z.string().nullable(),
    errors: z.array(ImportRowError),
    url: z.string().nullable().meta({ description: 'The page the lead was found on (page imports).' }),
  })
  .meta({ id: 'CrmImportRow' })
export type ImportRowDto = z.infer<typeof ImportRowDto>
export const ImportRowPage = z.object({ items: z.array(ImportRowDto), nextCursor: z.string().nullable() })
export const ImportRowQuery = PageQuery.extend({ status: ImportRowStatus.optional() })
export type ImportRowQuery = z.infer<typeof ImportRowQuery>
export const ImportCounts = z.object({
  total: z.number().int(),
  valid: z.number().int(),
  imported: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  pending: z.number().int(),
})
export const ImportPageDto = z
  .object({
    url: z.string(),
    status: z.enum(['pending', 'fetching', 'done', 'failed']),
    method: z
      .enum(['structured', 'ai', 'rules'])
      .nullable()
      .meta({
        description:
          'How the leads were read: JSON-LD, microdata and tel:/mailto: links (`structured`), the model (`ai`), ' +
          'or, on the offline model, phones and emails found in the text (`rules`, `demo`).',
      }),
    found: z.number().int().meta({ description: 'Leads found on the page.' }),
    demo: z.boolean(),
    error: z
      .object({
        code: z.enum([
          'invalid_url',
          'address_not_allowed',
          'http_error',
          'not_html',
          'too_large',
          'timeout',
          'network',
          'too_many_redirects',
          'ai_failed',
          'ai_refused',
          'interrupted',
        ]),
        message: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'CrmImportPage' })
export type ImportPageDto = z.infer<typeof ImportPageDto>
export const ImportDto = z
  .object({
    id: z.string().nullable().meta({ description: 'Null for a dry run (nothing stored).' }),
    kind: z.enum(['csv', 'pages']),
    source: z.string(),
    status: z.enum(['dry_run', 'running', 'completed']),
    counts: ImportCounts,
    /** A dry run's invalid and duplicate rows (first 200); a stored import's are paged at /rows. */
    problems: z.array(ImportRowDto),
    /** A page import's pages and what each gave (empty for a CSV). */
    pages: z.array(ImportPageDto),
    createdAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'CrmImport' })
export type ImportDto = z.infer<typeof ImportDto>
export const ImportListPage = page(ImportDto)
