import { z } from 'zod'
import { Timestamp } from './common.ts'

/** The designed avatars of the built-in agents (SVG drawings in web/src/ui/AgentAvatar.tsx). */
export const BUILTIN_AVATAR_KEYS = ['strategist', 'ppc', 'seo', 'copywriter', 'analyst', 'support'] as const
export type BuiltinAvatarKey = (typeof BUILTIN_AVATAR_KEYS)[number]
/**
 * What an agent's avatar is drawn from: a built-in design, or `initials` (the name's initials on a colour derived
 * from the agent's id). A custom agent may pick either; an uploaded picture (`avatarImage`) is shown in its place.
 */
export const AgentAvatarKey = z
  .enum([...BUILTIN_AVATAR_KEYS, 'initials'])
  .meta({ description: "A built-in design's key, or `initials` (generated from the name)" })
export type AgentAvatarKey = z.infer<typeof AgentAvatarKey>
/** An uploaded avatar: PNG, JPEG or WebP (read from the bytes), at most this many bytes. */
export const AGENT_AVATAR_MAX_BYTES = 512 * 1024
export const AGENT_AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const

export const AgentDto = z
  .object({
    id: z.string(),
    kind: z.enum(['builtin', 'custom']),
    name: z.string(),
    avatar: AgentAvatarKey,
    avatarImage: z.string().nullable().meta({
      description: "A custom agent's uploaded picture (its URL, changing with the picture), shown instead of `avatar`",
    }),
    role: z.string(),
    description: z.string(),
    starterPrompts: z.array(z.string()),
    tools: z.array(z.string()),
    modelId: z.string().nullable().meta({ description: 'Preferred model; null means the workspace default' }),
    handoffs: z.array(z.object({ to: z.string(), when: z.string() })),
    customized: z.boolean().meta({ description: 'A built-in agent adjusted for this client (instructions or model)' }),
    clientInstructions: z.string().meta({ description: "This client's extra instructions for a built-in agent" }),
    instructions: z
      .string()
      .meta({ description: "A custom agent's instructions (empty for built-ins, whose role is fixed)" }),
    archived: z.boolean(),
    updatedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Agent' })
export type AgentDto = z.infer<typeof AgentDto>

export const AGENT_TOOLS = ['handoff', 'search_conversations', 'fetch_page', 'ads_report', 'analytics_report'] as const
const Tools = z.array(z.enum(AGENT_TOOLS)).max(AGENT_TOOLS.length)

export const AgentCreate = z.strictObject({
  name: z.string().trim().min(1).max(80),
  avatar: AgentAvatarKey.optional(),
  description: z.string().trim().max(300).optional(),
  instructions: z.string().trim().min(1).max(20_000),
  modelId: z.string().max(120).nullable().optional(),
  tools: Tools.optional(),
})
export type AgentCreate = z.infer<typeof AgentCreate>
export const AgentPatch = AgentCreate.partial()
  .extend({ archived: z.boolean().optional() })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change.')
export type AgentPatch = z.infer<typeof AgentPatch>
/** Adjusting a built-in agent for one client (X-Client-ID). */
export const BuiltinOverride = z
  .strictObject({
    instructions: z.string().trim().max(20_000).optional(),
    modelId: z.string().max(120).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change.')
export type BuiltinOverride = z.infer<typeof BuiltinOverride>
