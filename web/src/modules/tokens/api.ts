import type { ApiTokenDto, TokenCreateBody, TokenCreated } from '../../../../contracts/identity.ts'
import { api } from '../../lib/api.ts'

export const tokenKeys = { all: ['tokens'] as const }

export const listTokens = (signal?: AbortSignal) => api<{ items: ApiTokenDto[] }>('/api/tokens', { signal })
export const createToken = (body: TokenCreateBody) => api<TokenCreated>('/api/tokens', { method: 'POST', body })
export const revokeToken = (id: string) => api<void>(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' })
