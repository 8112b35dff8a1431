import { z } from 'zod'
import { Id, PageQuery, Timestamp } from './common.ts'

/**
 * What a workspace's admins are told as it happens: `margin` is the operator's (no workspace), the rest a workspace's.
 */
export const ALERT_KINDS = ['rate_limited', 'plan_limit', 'number_disconnected', 'flow_failing', 'margin'] as const
export const AlertKind = z.enum(ALERT_KINDS)
export type AlertKind = z.infer<typeof AlertKind>
export const AlertSeverity = z.enum(['info', 'warning', 'critical'])
export type AlertSeverity = z.infer<typeof AlertSeverity>

export const AlertDto = z
  .object({
    id: z.string(),
    workspaceId: z.string().nullable(),
    kind: AlertKind,
    severity: AlertSeverity,
    title: z.string(),
    message: z.string(),
    link: z.string().nullable().meta({ description: 'A path into the app (`/app/…`) where the alert can be acted on' }),
    data: z.record(z.string(), z.unknown()),
    createdAt: Timestamp,
    acknowledgedAt: Timestamp.nullable(),
    acknowledgedBy: z.string().nullable(),
  })
  .meta({ id: 'Alert' })
export type AlertDto = z.infer<typeof AlertDto>

export const AlertListQuery = PageQuery.extend({
  unacknowledged: z.enum(['true', 'false']).optional(),
})
export type AlertListQuery = z.infer<typeof AlertListQuery>

export const AlertPage = z
  .object({
    items: z.array(AlertDto),
    nextCursor: z.string().nullable(),
    unacknowledged: z.number().int().meta({ description: 'Alerts of the workspace nobody has acknowledged yet' }),
  })
  .meta({ id: 'AlertPage' })
export type AlertPage = z.infer<typeof AlertPage>

export const AlertParams = z.strictObject({ id: Id, alertId: Id })

export const AlertWebhookPut = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
})
export type AlertWebhookPut = z.infer<typeof AlertWebhookPut>

export const AlertWebhookDto = z
  .object({
    url: z.string(),
    /** The signing secret's last characters, to tell which one a receiver holds. */
    hint: z.string(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'AlertWebhook' })
export type AlertWebhookDto = z.infer<typeof AlertWebhookDto>
/** The answer to the PUT that made it: the signing secret, shown this once (not a component: never reused). */
export const AlertWebhookCreated = AlertWebhookDto.extend({ secret: z.string() })
export type AlertWebhookCreated = z.infer<typeof AlertWebhookCreated>

export const AlertWebhookState = z.object({ webhook: AlertWebhookDto.nullable() })
