import { z } from 'zod'
import { Timestamp } from './common.ts'

export const AuditAction = z.enum([
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.signup',
  'auth.password_changed',
  'auth.verification_sent',
  'auth.email_verified',
  'auth.password_reset_requested',
  'auth.password_reset',
  'auth.google_linked',
  'token.created',
  'token.revoked',
  'workspace.created',
  'member.role_changed',
  'member.removed',
  'member.joined',
  'invitation.created',
  'invitation.revoked',
  'client.created',
  'client.archived',
  'credits.dispute_opened',
  'credits.dispute_note_added',
  'credits.dispute_withdrawn',
  'credits.dispute_approved',
  'credits.dispute_rejected',
  'credits.limits_changed',
  'credits.cap_changed',
  'credits.operator_grant',
  'billing.alert',
  'billing.rate_calibrated',
  'plan.assigned',
  'subscription.changed',
  'subscription.drift_repaired',
  'subscription.payment_failed',
  'subscription.charge_refunded',
  'subscription.clawback_short',
  'credits.purchased',
  'credits.clawed_back',
])
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
