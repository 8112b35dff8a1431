import { z } from 'zod'
import { Id, PageQuery, Timestamp, page } from './common.ts'

/**
 * CRM campaigns (issue 14 §9): a broadcast to a segment of a client's contacts through one of its WhatsApp numbers.
 *
 * - GET/POST /api/crm/campaigns            list (newest first, paged) / create a draft (members; X-Client-ID)
 * - GET/PATCH /api/crm/campaigns/:id       one campaign with its per-state statistics / change a draft (members)
 * - POST /api/crm/campaigns/:id/preview    how many contacts the segment reaches now, and the first of them
 * - POST /api/crm/campaigns/:id/start      freeze the recipients and start sending (admins; 402 past the plan)
 * - POST /api/crm/campaigns/:id/cancel     stop queueing further recipients (members)
 * - GET  /api/crm/campaigns/:id/recipients paged, filter by state
 * - GET  /api/crm/contacts/:id/consent     whether the contact opted out of campaigns (STOP), with its history
 * - POST /api/crm/contacts/:id/opt-in      records that the contact asked to receive campaigns again (admins)
 *
 * A Cloud number's campaign must send an approved template (outside the 24-hour window WhatsApp accepts nothing else);
 * a QR number's sends a text. `{{name}}` in a text or a template variable is the recipient's name.
 */

const Tag = z.string().trim().min(1).max(32)
const DateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')

export const CampaignSegment = z
  .strictObject({
    tagsAny: z.array(Tag).max(20).optional().meta({ description: 'Contacts with at least one of these tags.' }),
    tagsAll: z.array(Tag).max(20).optional().meta({ description: 'Contacts with every one of these tags.' }),
    hasWhatsApp: z.boolean().optional().meta({ description: 'Only contacts with a WhatsApp identity.' }),
    hasPhone: z.boolean().optional().meta({ description: 'Only contacts with a phone number.' }),
    createdFrom: DateOnly.optional(),
    createdTo: DateOnly.optional().meta({ description: 'Inclusive (UTC day).' }),
    lastContactFrom: DateOnly.optional(),
    lastContactTo: DateOnly.optional().meta({ description: 'Inclusive (UTC day).' }),
  })
  .meta({ id: 'CrmCampaignSegment', description: 'Archived, merged and erased contacts are never included.' })
export type CampaignSegment = z.infer<typeof CampaignSegment>

export const CampaignMessage = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('text'), text: z.string().trim().min(1).max(4096) }),
    z.strictObject({
      type: z.literal('template'),
      name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'A template name is lowercase letters, digits and underscores.'),
      language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'A language code such as `en_US` or `ro`.'),
      variables: z
        .array(z.string().trim().min(1).max(1000))
        .max(20)
        .default([])
        .meta({ description: "The body's {{1}}, {{2}}… in order." }),
    }),
  ])
  .meta({ id: 'CrmCampaignMessage' })
export type CampaignMessage = z.infer<typeof CampaignMessage>

export const CampaignCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  channelId: Id.meta({ description: "One of the client's WhatsApp numbers." }),
  segment: CampaignSegment.default({}),
  message: CampaignMessage,
})
export type CampaignCreate = z.infer<typeof CampaignCreate>
export const CampaignPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  channelId: Id.optional(),
  segment: CampaignSegment.optional(),
  message: CampaignMessage.optional(),
})
export type CampaignPatch = z.infer<typeof CampaignPatch>

export const CampaignStatus = z.enum(['draft', 'sending', 'done', 'cancelled'])
/** A recipient's state: waiting to be queued, in the outbox (then as WhatsApp reports it), or skipped with a reason. */
export const RecipientState = z.enum(['pending', 'queued', 'sent', 'delivered', 'read', 'failed', 'skipped'])
export type RecipientState = z.infer<typeof RecipientState>
export const SkipReason = z.enum(['opted_out', 'no_whatsapp', 'plan_limit', 'window_closed', 'cancelled'])

export const CampaignStats = z
  .object({
    total: z.number().int(),
    pending: z.number().int(),
    queued: z.number().int().meta({ description: 'In the outbox, not sent yet.' }),
    sent: z.number().int(),
    delivered: z.number().int(),
    read: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    skippedBy: z.partialRecord(SkipReason, z.number().int()),
  })
  .meta({ id: 'CrmCampaignStats' })
export type CampaignStats = z.infer<typeof CampaignStats>

export const CampaignDto = z
  .object({
    id: z.string(),
    name: z.string(),
    channelId: z.string(),
    channelKind: z.enum(['qr', 'cloud']),
    segment: CampaignSegment,
    message: CampaignMessage,
    status: CampaignStatus,
    /** Per-state counts of the frozen recipients (null for a draft: nothing is frozen yet). */
    stats: CampaignStats.nullable(),
    createdBy: z.string(),
    startedAt: Timestamp.nullable(),
    cancelledAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'CrmCampaign' })
export type CampaignDto = z.infer<typeof CampaignDto>
export const CampaignPage = page(CampaignDto)

export const CampaignPreviewBody = z.strictObject({
  segment: CampaignSegment.optional().meta({ description: "Previews this segment instead of the campaign's own." }),
})
export const CampaignPreviewDto = z
  .object({
    matching: z.number().int().meta({ description: 'Live contacts the segment selects.' }),
    optedOut: z.number().int(),
    unreachable: z.number().int().meta({ description: 'Without a WhatsApp address this number can send to.' }),
    recipients: z.number().int().meta({ description: 'Who would be sent the message if it started now.' }),
    first: z.array(z.object({ contactId: z.string(), name: z.string(), address: z.string() })),
  })
  .meta({ id: 'CrmCampaignPreview' })
export type CampaignPreviewDto = z.infer<typeof CampaignPreviewDto>

export const RecipientDto = z
  .object({
    contactId: z.string(),
    name: z.string(),
    address: z.string().nullable(),
    state: RecipientState,
    reason: SkipReason.nullable(),
    messageId: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    queuedAt: Timestamp.nullable(),
  })
  .meta({ id: 'CrmCampaignRecipient' })
export type RecipientDto = z.infer<typeof RecipientDto>
export const RecipientPage = page(RecipientDto)
export const RecipientQuery = PageQuery.extend({ state: RecipientState.optional() })
export type RecipientQuery = z.infer<typeof RecipientQuery>
export const CampaignListQuery = PageQuery.extend({ status: CampaignStatus.optional() })
export type CampaignListQuery = z.infer<typeof CampaignListQuery>

export const ConsentDto = z
  .object({
    optedOut: z.boolean(),
    since: Timestamp.nullable(),
    history: z.array(
      z.object({
        address: z.string(),
        state: z.enum(['opted_out', 'opted_in']),
        keyword: z.string().nullable(),
        reason: z.string().nullable(),
        at: Timestamp,
      }),
    ),
  })
  .meta({ id: 'CrmConsent' })
export type ConsentDto = z.infer<typeof ConsentDto>
export const OptInBody = z.strictObject({
  reason: z.string().trim().min(3).max(500).meta({ description: 'How the contact asked to receive campaigns again.' }),
})
