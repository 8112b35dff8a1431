import type { KeyProvider, ProviderKeyDto } from '../../../../contracts/provider-keys.ts'
import { api } from '../../lib/api.ts'

export type ProviderKeyBody = { apiKey: string; baseUrl?: string; models?: string[] }

export const PROVIDERS: { id: KeyProvider; label: string }[] = [
  { id: 'openai', label: 'OpenAI' },
  { id: 'anthropic', label: 'Anthropic' },
  { id: 'google', label: 'Google Gemini' },
  { id: 'groq', label: 'Groq' },
  { id: 'openai-compatible', label: 'OpenAI-compatible server (Ollama, vLLM, LM Studio…)' },
]
export const providerLabel = (id: string) => PROVIDERS.find((p) => p.id === id)?.label.replace(/ \(.*\)$/, '') ?? id

export const providerKeyKeys = { list: (workspaceId: string) => ['provider-keys', workspaceId] as const }

const keysPath = (workspaceId: string, provider?: KeyProvider) =>
  `/api/workspaces/${encodeURIComponent(workspaceId)}/provider-keys${provider ? `/${encodeURIComponent(provider)}` : ''}`

export const listProviderKeys = (workspaceId: string, signal?: AbortSignal) =>
  api<{ items: ProviderKeyDto[] }>(keysPath(workspaceId), { signal }).then((r) => r.items)

export const putProviderKey = (workspaceId: string, provider: KeyProvider, body: ProviderKeyBody) =>
  api<ProviderKeyDto>(keysPath(workspaceId, provider), { method: 'PUT', body })

export const deleteProviderKey = (workspaceId: string, provider: KeyProvider) =>
  api<void>(keysPath(workspaceId, provider), { method: 'DELETE' })
