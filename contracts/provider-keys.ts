import { z } from 'zod'
import { Timestamp } from './common.ts'

export const KeyProvider = z.enum(['openai', 'anthropic', 'google', 'groq', 'openai-compatible'])
export type KeyProvider = z.infer<typeof KeyProvider>

export const ProviderKeyDto = z
  .object({
    provider: KeyProvider,
    keyHint: z.string().meta({ description: 'The last 4 characters; the key itself is never returned' }),
    baseUrl: z.string().nullable(),
    models: z.array(z.string()),
    updatedAt: Timestamp,
  })
  .meta({ id: 'ProviderKey' })
export type ProviderKeyDto = z.infer<typeof ProviderKeyDto>

export const ProviderKeyPut = z.strictObject({
  apiKey: z.string().trim().min(8).max(500),
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional()
    .meta({ description: 'Required for openai-compatible; optional override for the others' }),
  models: z
    .array(z.string().trim().min(1).max(120))
    .max(20)
    .optional()
    .meta({ description: 'Model names served by an openai-compatible server' }),
})
