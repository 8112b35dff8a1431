import { z } from 'zod'
import { Timestamp } from './common.ts'
import { Usage } from './chat.ts'

export const MeetingCreate = z.strictObject({
  topic: z.string().trim().min(3).max(2000),
  agentIds: z
    .array(z.string().min(3).max(64))
    .min(2)
    .max(5)
    .refine((ids) => new Set(ids).size === ids.length, 'Each agent can sit at the table once.'),
  rounds: z.number().int().min(1).max(3).default(1),
})
export const MeetingTurnDto = z
  .object({
    id: z.string(),
    round: z.number().int(),
    position: z.number().int(),
    speaker: z.string().meta({ description: "An agent id, or 'moderator' for the summary" }),
    content: z.string(),
    status: z.enum(['complete', 'streaming', 'cancelled', 'failed']),
    modelId: z.string(),
    offline: z.boolean(),
    usage: Usage.nullable(),
  })
  .meta({ id: 'MeetingTurn' })
export const MeetingDto = z
  .object({
    id: z.string(),
    clientId: z.string(),
    topic: z.string(),
    agentIds: z.array(z.string()),
    rounds: z.number().int(),
    status: z.enum(['running', 'completed', 'cancelled', 'failed']),
    summary: z.string(),
    createdAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    turns: z.array(MeetingTurnDto),
  })
  .meta({ id: 'Meeting' })
export type MeetingDto = z.infer<typeof MeetingDto>

/** Boardroom SSE events; `id:` is the sequence number for Last-Event-ID. */
export type MeetingEvent =
  | {
      type: 'turn'
      turnId: string
      round: number
      position: number
      speaker: string
      modelId: string
      offline: boolean
    }
  | { type: 'delta'; turnId: string; text: string }
  | {
      type: 'turn-end'
      turnId: string
      status: 'complete' | 'cancelled' | 'failed'
      usage: Usage | null
      error?: { code: string; message: string }
    }
  | { type: 'done'; meetingId: string; status: 'completed' | 'cancelled' | 'failed' }
