import type { ConversationDto, MessageDto } from '../../../../contracts/chat.ts'
import { api } from '../../lib/api.ts'
import { openStream } from '../../lib/follow-stream.ts'

export type ArchivedFilter = 'exclude' | 'include' | 'only'
export type ConversationFilters = { q: string; archived: ArchivedFilter }
export type ConversationPage = { items: ConversationDto[]; nextCursor: string | null }
export type ConversationPatch = { title?: string; pinned?: boolean; archived?: boolean }

export const chatKeys = {
  /** Every list of a client's conversations (home, page, filters). */
  lists: (clientId: string) => ['chat', 'lists', clientId] as const,
  list: (clientId: string, filters: ConversationFilters) => ['chat', 'lists', clientId, filters] as const,
  conversation: (id: string) => ['chat', 'conversation', id] as const,
  messages: (id: string) => ['chat', 'messages', id] as const,
}

const conversationPath = (id: string, rest = '') => `/api/chat/conversations/${encodeURIComponent(id)}${rest}`

export const createConversation = (clientId: string, agentId: string) =>
  api<ConversationDto>('/api/chat/conversations', { method: 'POST', clientId, body: { agentId } })

export const listConversations = (
  clientId: string,
  params: Partial<ConversationFilters> & { cursor?: string | undefined; limit?: number },
  signal?: AbortSignal,
) =>
  api<ConversationPage>('/api/chat/conversations', {
    clientId,
    signal,
    query: { q: params.q?.trim(), archived: params.archived, cursor: params.cursor, limit: params.limit ?? 30 },
  })

// Conversation routes take their client from the conversation itself, so they send no X-Client-ID: a
// conversation stays reachable from a link even when the sidebar shows another client.
export const getConversation = (id: string, signal?: AbortSignal) =>
  api<ConversationDto>(conversationPath(id), { signal })

export const updateConversation = (id: string, body: ConversationPatch) =>
  api<ConversationDto>(conversationPath(id), { method: 'PATCH', body })

export const listMessages = (id: string, signal?: AbortSignal) =>
  api<{ items: MessageDto[] }>(conversationPath(id, '/messages'), { signal }).then((r) => r.items)

export const cancelAnswer = (id: string) =>
  api<{ cancelled: boolean }>(conversationPath(id, '/cancel'), { method: 'POST' })

/** Asks; resolves once the server accepted the question, with the answer's event stream as the body. */
export const sendMessage = (
  id: string,
  body: { content: string; modelId?: string | undefined },
  signal?: AbortSignal,
) =>
  openStream(conversationPath(id, '/messages'), {
    method: 'POST',
    signal,
    body: JSON.stringify(body),
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
  })

/** The latest answer's events after sequence number `after` (0 replays it from the start). */
export const resumeAnswer = (id: string, after: number, signal?: AbortSignal) =>
  openStream(conversationPath(id, '/stream'), {
    signal,
    headers: { accept: 'text/event-stream', 'last-event-id': String(after) },
  })
