import type { AgentCreate, AgentDto, AgentPatch, BuiltinOverride } from '../../../../contracts/agents.ts'
import { ApiError, api, failed } from '../../lib/api.ts'

export const TOOL_OPTIONS = [
  {
    id: 'handoff',
    label: 'Hand off to another agent',
    hint: 'Passes the conversation on when a request belongs to another role.',
  },
  { id: 'search_conversations', label: 'Search this client’s conversations', hint: 'Finds what was said before.' },
  { id: 'fetch_page', label: 'Read web pages', hint: 'Fetches a public page the user names.' },
  { id: 'ads_report', label: 'Google Ads reports', hint: 'Reads this client’s connected Google Ads figures.' },
  { id: 'analytics_report', label: 'GA4 reports', hint: 'Reads this client’s connected GA4 figures.' },
] as const
export type ToolId = (typeof TOOL_OPTIONS)[number]['id']
/** What the server gives a new agent when no tools are sent. */
export const DEFAULT_TOOLS: ToolId[] = ['handoff', 'search_conversations']

export const agentKeys = {
  /** Every agents list: the workspace's (here) and each client's (chat, boardroom). */
  all: ['agents'] as const,
  workspace: (workspaceId: string) => ['agents', 'workspace', workspaceId] as const,
  client: (clientId: string) => ['agents', clientId] as const,
}

const agentPath = (id: string) => `/api/agents/${encodeURIComponent(id)}`

/** The agents a client can talk to (X-Client-ID): built-ins with that client's adjustments, and the workspace's own. */
export const listAgents = (clientId: string, signal?: AbortSignal) =>
  api<{ items: AgentDto[] }>('/api/agents', { clientId, signal }).then((r) => r.items)

/** Built-in and custom agents of the workspace (X-Workspace-ID): built-ins without any client's adjustments. */
export const listWorkspaceAgents = (workspaceId: string, signal?: AbortSignal) =>
  api<{ items: AgentDto[] }>('/api/agents', { workspaceId, signal }).then((r) => r.items)

export const createAgent = (workspaceId: string, body: AgentCreate) =>
  api<AgentDto>('/api/agents', { method: 'POST', workspaceId, body })

export const updateAgent = (id: string, patch: AgentPatch) =>
  api<AgentDto>(agentPath(id), { method: 'PATCH', body: patch })

/** Adjusts a built-in agent for one client (X-Client-ID). */
export const adjustBuiltin = (clientId: string, id: string, body: BuiltinOverride) =>
  api<AgentDto>(agentPath(id), { method: 'PATCH', clientId, body })

/** Uploads a custom agent's picture as the request body (its type is read from the bytes on the server). */
export const uploadAgentAvatar = async (id: string, file: Blob) => {
  let res: Response
  try {
    res = await fetch(`${agentPath(id)}/avatar`, {
      method: 'PUT',
      headers: { accept: 'application/json', 'content-type': file.type || 'application/octet-stream' },
      credentials: 'same-origin',
      body: file,
    })
  } catch {
    throw new ApiError(0, 'network.unreachable', 'Cannot reach the server. Check your connection and try again.')
  }
  if (!res.ok) throw await failed(res)
  return (await res.json()) as AgentDto
}

/** Removes a custom agent's picture: its generated avatar shows again. */
export const removeAgentAvatar = (id: string) => api<void>(`${agentPath(id)}/avatar`, { method: 'DELETE' })
