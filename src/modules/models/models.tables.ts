import type { ColumnType } from 'kysely'
import type { Timestamp } from '../../platform/db/columns.ts'

export type ModelCallsTable = {
  id: string
  workspaceId: string
  clientId: string | null
  userId: string
  tokenId: string | null
  surface: 'chat' | 'v1' | 'boardroom' | 'flow' | 'inbox' | 'crm' | 'knowledge'
  requestId: string
  modelId: string
  status: 'complete' | 'cancelled' | 'failed'
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
  usageEstimated: boolean
  holdId: string | null
  agentId: string | null
  priceId: string | null
  rateId: string | null
  shadowRateId: string | null
  costUsdMicro: bigint | null
  charged: bigint | null
  shadowCharged: bigint | null
  response: ColumnType<Record<string, unknown> | null, string | null | undefined, never>
  createdAt: Timestamp
}

export type ProviderKeysTable = {
  workspaceId: string
  provider: 'openai' | 'anthropic' | 'google' | 'groq' | 'openai-compatible'
  sealedKey: string
  keyHint: string
  baseUrl: string | null
  models: ColumnType<string[], string | undefined, string>
  updatedBy: string
  updatedAt: Timestamp
}

/** The tables the models module owns: its handles are typed `Kysely<ModelsTables>`. */
export type ModelsTables = {
  modelCalls: ModelCallsTable
  providerKeys: ProviderKeysTable
}
