import { z } from 'zod'
import { Timestamp } from './common.ts'

export const EmailStatus = z.enum(['queued', 'stored', 'sent', 'failed'])

/** An email the server sent or stored, as the operator sees it (links included: the operator owns the server). */
export const OutboxEmailDto = z
  .object({
    id: z.string(),
    kind: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    link: z.string().nullable(),
    status: EmailStatus.meta({
      description: '`stored`: no SMTP_URL, kept here for the operator; `queued`: delivery pending',
    }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    messageId: z.string().nullable(),
    createdAt: Timestamp,
    sentAt: Timestamp.nullable(),
  })
  .meta({ id: 'OutboxEmail' })
export type OutboxEmailDto = z.infer<typeof OutboxEmailDto>

export const OutboxQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  to: z
    .email()
    .max(254)
    .transform((e) => e.trim().toLowerCase())
    .optional()
    .meta({ description: 'Only the emails sent to this address' }),
})
export type OutboxQuery = z.infer<typeof OutboxQuery>
