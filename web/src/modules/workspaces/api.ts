import type { WorkspaceDto } from '../../../../contracts/tenancy.ts'
import { api } from '../../lib/api.ts'

export const workspaceKeys = { detail: (id: string) => ['workspaces', id] as const }

export const createWorkspace = (name: string) =>
  api<WorkspaceDto>('/api/workspaces', { method: 'POST', body: { name } })
export const getWorkspace = (id: string, signal?: AbortSignal) =>
  api<WorkspaceDto>(`/api/workspaces/${encodeURIComponent(id)}`, { signal })
export const renameWorkspace = (id: string, name: string) =>
  api<WorkspaceDto>(`/api/workspaces/${encodeURIComponent(id)}`, { method: 'PATCH', body: { name } })
