import type { Executor } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'

/** What a call was charged (credits module): provider cost, our charge and the shadow rate's, with the versions used. */
export type ModelCallCharge = {
  holdId: string
  costUsdMicro: bigint
  charged: bigint
  shadowCharged: bigint
  priceId: string
  rateId: string
  shadowRateId: string
}

export type ModelCallRecord = {
  workspaceId: string
  clientId: string | null
  userId: string
  tokenId: string | null
  agentId?: string | null
  surface: 'chat' | 'v1' | 'boardroom'
  requestId: string
  modelId: string
  status: 'complete' | 'cancelled' | 'failed'
  usage: {
    inputTokens: number
    outputTokens: number
    cachedInputTokens: number
    reasoningTokens: number
    estimated: boolean
  }
  charge?: ModelCallCharge | null
  response?: Record<string, unknown>
}

/** One row per model call (one per request id), with the usage the provider reported and what it was charged. */
export const recordModelCall = (db: Executor, r: ModelCallRecord) =>
  db
    .insertInto('modelCalls')
    .values({
      id: newId('call'),
      workspaceId: r.workspaceId,
      clientId: r.clientId,
      userId: r.userId,
      tokenId: r.tokenId,
      agentId: r.agentId ?? null,
      surface: r.surface,
      requestId: r.requestId,
      modelId: r.modelId,
      status: r.status,
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
      cachedInputTokens: r.usage.cachedInputTokens,
      reasoningTokens: r.usage.reasoningTokens,
      usageEstimated: r.usage.estimated,
      ...(r.charge ?? {}),
      response: r.response ? JSON.stringify(r.response) : null,
    })
    .execute()
