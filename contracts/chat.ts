import { z } from 'zod'
import { Timestamp } from './common.ts'

export const ConversationDto = z
  .object({
    id: z.string(),
    clientId: z.string(),
    agentId: z.string(),
    title: z.string(),
    pinned: z.boolean(),
    archivedAt: Timestamp.nullable(),
    lastMessageAt: Timestamp,
    createdAt: Timestamp,
    running: z.boolean().meta({ description: 'An answer is being generated right now' }),
  })
  .meta({ id: 'Conversation' })
export type ConversationDto = z.infer<typeof ConversationDto>

export const ConversationCreate = z.strictObject({
  agentId: z.string().min(3).max(64),
  title: z.string().trim().min(1).max(120).optional(),
})
export const ConversationPatch = z
  .strictObject({
    title: z.string().trim().min(1).max(120).optional(),
    pinned: z.boolean().optional(),
    archived: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change.')
export const ConversationListQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  q: z.string().trim().max(100).optional(),
  archived: z.enum(['include', 'exclude', 'only']).default('exclude'),
  agentId: z.string().max(64).optional(),
})

export const Usage = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  reasoningTokens: z.number().int(),
  estimated: z.boolean(),
  charged: z.number().int().optional().meta({ description: 'Credits charged for this answer, in micro-credits' }),
})
export type Usage = z.infer<typeof Usage>

export const MessagePart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tool-call'), toolCallId: z.string(), toolName: z.string(), input: z.unknown() }),
  z.object({
    type: z.literal('tool-result'),
    toolCallId: z.string(),
    toolName: z.string(),
    output: z.unknown().optional(),
    error: z.string().optional(),
  }),
  z.object({ type: z.literal('handoff'), from: z.string(), to: z.string(), toName: z.string(), reason: z.string() }),
])
export type MessagePart = z.infer<typeof MessagePart>

export const MessageDto = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    role: z.enum(['user', 'assistant']),
    content: z.string(),
    status: z.enum(['complete', 'streaming', 'cancelled', 'failed']),
    agentId: z.string().nullable(),
    modelId: z.string().nullable(),
    offline: z.boolean(),
    usage: Usage.nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    parts: z
      .array(MessagePart)
      .meta({ description: 'Tool calls, tool results and hand-offs made while answering, in order' }),
    createdAt: Timestamp,
    completedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Message' })
export type MessageDto = z.infer<typeof MessageDto>

export const SendMessage = z.strictObject({
  content: z.string().trim().min(1).max(32_000),
  modelId: z.string().max(120).optional().meta({ description: "Override the agent's model for this answer" }),
})

/** Server-Sent Events of one answer; `id:` is the event's sequence number, for Last-Event-ID. */
export type ChatEvent =
  | {
      type: 'run'
      runId: string
      conversationId: string
      userMessageId: string
      messageId: string
      agentId: string
      modelId: string
      offline: boolean
      estimate?: number
      billedBy?: 'camarad' | 'workspace'
    }
  | { type: 'delta'; text: string }
  | { type: 'usage'; usage: Usage; charged?: number; available?: number }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output?: unknown; error?: string }
  | { type: 'handoff'; from: string; to: string; toName: string; reason: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'done'; messageId: string; status: 'complete' | 'cancelled' | 'failed' }
export const TERMINAL_EVENT = 'done'
