import type { ClientCreate, ClientDto, ClientPatch } from '../../../../contracts/tenancy.ts'
import { api } from '../../lib/api.ts'

export type ArchivedFilter = 'exclude' | 'include' | 'only'
export type ClientPage = { items: ClientDto[]; nextCursor: string | null }
export type ClientFilters = { q: string; archived: ArchivedFilter }

export const clientKeys = {
  all: (ws: string) => ['clients', ws] as const,
  list: (ws: string, filters: ClientFilters) => ['clients', ws, 'list', filters] as const,
  switcher: (ws: string) => ['clients', ws, 'switcher'] as const,
  detail: (ws: string, id: string) => ['clients', ws, 'detail', id] as const,
}

export const listClients = (
  ws: string,
  params: Partial<ClientFilters> & { cursor?: string | undefined; limit?: number },
  signal?: AbortSignal,
) =>
  api<ClientPage>('/api/clients', {
    workspaceId: ws,
    signal,
    query: { cursor: params.cursor, limit: params.limit ?? 25, archived: params.archived, q: params.q?.trim() },
  })

export const getClient = (ws: string, id: string, signal?: AbortSignal) =>
  api<ClientDto>(`/api/clients/${encodeURIComponent(id)}`, { workspaceId: ws, signal })

export const createClient = (ws: string, body: ClientCreate) =>
  api<ClientDto>('/api/clients', { method: 'POST', workspaceId: ws, body })

export const updateClient = (ws: string, id: string, body: ClientPatch) =>
  api<ClientDto>(`/api/clients/${encodeURIComponent(id)}`, { method: 'PATCH', workspaceId: ws, body })

export const archiveClient = (ws: string, id: string) =>
  api<ClientDto>(`/api/clients/${encodeURIComponent(id)}/archive`, { method: 'POST', workspaceId: ws })
