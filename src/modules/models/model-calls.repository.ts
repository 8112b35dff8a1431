import type { Executor } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'

export type ModelCallRecord = {
  workspaceId: string; clientId: string | null; userId: string; tokenId: string | null
  surface: 'chat' | 'v1' | 'boardroom'; requestId: string; modelId: string; status: 'complete' | 'cancelled' | 'failed'
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number; reasoningTokens: number; estimated: boolean }
}

/** One row per model call, with the usage the provider reported: what metering will charge from. */
export const recordModelCall = (db: Executor, r: ModelCallRecord) =>
  db.insertInto('modelCalls').values({
    id: newId('call'), workspaceId: r.workspaceId, clientId: r.clientId, userId: r.userId, tokenId: r.tokenId, surface: r.surface,
    requestId: r.requestId, modelId: r.modelId, status: r.status, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens,
    cachedInputTokens: r.usage.cachedInputTokens, reasoningTokens: r.usage.reasoningTokens, usageEstimated: r.usage.estimated,
  }).execute()
