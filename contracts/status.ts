import { z } from 'zod'
import { Timestamp } from './common.ts'

/** The public status page (`GET /api/status`): live checks of each part of the service, and the operator's incidents. */
export const COMPONENT_KEYS = ['api', 'workers', 'database', 'queue', 'whatsapp', 'stripe'] as const
export const ComponentKey = z.enum(COMPONENT_KEYS)
export type ComponentKey = z.infer<typeof ComponentKey>

/** Worst last: the overall state is the worst component's (`not_configured` does not count). */
export const ComponentState = z.enum(['operational', 'degraded', 'down', 'not_configured'])
export type ComponentState = z.infer<typeof ComponentState>

export const StatusComponentDto = z
  .object({
    key: ComponentKey,
    name: z.string(),
    state: ComponentState,
    /** A short public sentence: never tenant data, never an internal error. */
    message: z.string(),
  })
  .meta({ id: 'StatusComponent' })
export type StatusComponentDto = z.infer<typeof StatusComponentDto>

export const IncidentStatus = z.enum(['investigating', 'identified', 'monitoring', 'resolved'])
export type IncidentStatus = z.infer<typeof IncidentStatus>
export const IncidentImpact = z.enum(['minor', 'major'])
export type IncidentImpact = z.infer<typeof IncidentImpact>

export const IncidentUpdateDto = z
  .object({ id: z.string(), status: IncidentStatus, message: z.string(), createdAt: Timestamp })
  .meta({ id: 'IncidentUpdate' })
export type IncidentUpdateDto = z.infer<typeof IncidentUpdateDto>

export const IncidentDto = z
  .object({
    id: z.string(),
    title: z.string(),
    impact: IncidentImpact,
    status: IncidentStatus,
    createdAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
    /** Newest first. */
    updates: z.array(IncidentUpdateDto),
  })
  .meta({ id: 'Incident' })
export type IncidentDto = z.infer<typeof IncidentDto>

export const StatusDto = z
  .object({
    /** The worst component state (`operational` when every configured component is). */
    status: z.enum(['operational', 'degraded', 'down']),
    checkedAt: Timestamp,
    components: z.array(StatusComponentDto),
    /** Open incidents and those resolved in the last 7 days, newest first. */
    incidents: z.array(IncidentDto),
  })
  .meta({ id: 'Status' })
export type StatusDto = z.infer<typeof StatusDto>

const Message = z.string().trim().min(3).max(2000)

export const IncidentCreateBody = z
  .strictObject({
    title: z.string().trim().min(3).max(200),
    impact: IncidentImpact.default('minor'),
    status: IncidentStatus.default('investigating'),
    message: Message,
  })
  .meta({ id: 'IncidentCreate' })
export type IncidentCreateBody = z.infer<typeof IncidentCreateBody>

export const IncidentUpdateBody = z
  .strictObject({ status: IncidentStatus, message: Message })
  .meta({ id: 'IncidentUpdateCreate' })
export type IncidentUpdateBody = z.infer<typeof IncidentUpdateBody>
