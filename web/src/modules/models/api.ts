import { api } from '../../lib/api.ts'

/** An entry of GET /api/models (the server's catalog; not in contracts/). */
export type ModelDto = {
  id: string
  provider: string
  modelId: string
  label: string
  contextWindow: number
  tier: 'standard' | 'advanced'
  offline: boolean
}

export const modelKeys = {
  /** Every models list; `workspace(workspaceId)` includes that workspace's own provider keys. */
  all: ['models'] as const,
  workspace: (workspaceId: string) => ['models', workspaceId] as const,
}

export const listModels = (workspaceId: string, signal?: AbortSignal) =>
  api<{ items: ModelDto[] }>('/api/models', { workspaceId, signal }).then((r) => r.items)
