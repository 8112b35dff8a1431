import { z } from 'zod'
import { AUDIT_ACTIONS } from './audit-actions.ts'
import { Timestamp } from './common.ts'

/** The actions the server records; each has its label in AUDIT_ACTION_LABELS. */
export const AuditAction = z.enum(AUDIT_ACTIONS)
export type AuditAction = z.infer<typeof AuditAction>

export const AuditEventDto = z
  .object({
    id: z.string(),
    action: z.string(),
    actorUserId: z.string().nullable(),
    subjectUserId: z.string().nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: Timestamp,
  })
  .meta({ id: 'AuditEvent' })
export type AuditEventDto = z.infer<typeof AuditEventDto>

export const AuditQuery = z.strictObject({
  cursor: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  action: AuditAction.optional(),
})
