import type { InboxMessageDto, InboxNoteDto, SuggestedReplyDto, ThreadDto } from '../../../../contracts/inbox.ts'
import { api } from '../../lib/api.ts'
import { openStream } from '../../lib/follow-stream.ts'

export type Page<T> = { items: T[]; nextCursor: string | null }
export type Thread = ThreadDto
export type InboxMessage = InboxMessageDto
export type Note = InboxNoteDto

export type ThreadFilters = {
  q?: string | undefined
  /** `me`, `none`, or a member's user id. */
  assigned?: string | undefined
  unread?: boolean | undefined
  label?: string | undefined
  channelId?: string | undefined
}

/** A text, or an approved template when the 24-hour window is closed; the id makes a retry answer the same message. */
export type Outgoing = { text: string } | { template: { name: string; language: string } }

export const inboxKeys = {
  all: (clientId: string) => ['inbox', clientId] as const,
  threads: (clientId: string) => ['inbox', clientId, 'threads'] as const,
  /** Under `threads`: whatever reads threads again (a change, a send) reads this one again too. */
  thread: (clientId: string, threadId: string) => ['inbox', clientId, 'threads', 'one', threadId] as const,
  threadList: (clientId: string, filters: ThreadFilters) => ['inbox', clientId, 'threads', filters] as const,
  messages: (clientId: string, threadId: string) => ['inbox', clientId, 'messages', threadId] as const,
  notes: (clientId: string, threadId: string) => ['inbox', clientId, 'notes', threadId] as const,
}

const threadUrl = (id: string, rest = '') => `/api/inbox/threads/${encodeURIComponent(id)}${rest}`

export const listThreads = (
  clientId: string,
  filters: ThreadFilters,
  cursor: string | undefined,
  signal?: AbortSignal,
) =>
  api<Page<Thread>>('/api/inbox/threads', {
    clientId,
    signal,
    query: {
      cursor,
      limit: 30,
      q: filters.q?.trim(),
      assigned: filters.assigned,
      unread: filters.unread ? 'true' : undefined,
      label: filters.label,
      channelId: filters.channelId,
    },
  })

/** One thread (a link to a thread outside the loaded list). */
export const getThread = (clientId: string, threadId: string, signal?: AbortSignal) =>
  api<Thread>(threadUrl(threadId), { clientId, signal })

/** A thread's messages, newest first (the page after `cursor` is older). */
export const listMessages = (clientId: string, threadId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<InboxMessage>>(threadUrl(threadId, '/messages'), { clientId, signal, query: { cursor, limit: 30 } })

export const sendMessage = (clientId: string, threadId: string, body: Outgoing & { clientMessageId: string }) =>
  api<InboxMessage>(threadUrl(threadId, '/messages'), { method: 'POST', clientId, body })

export const markRead = (clientId: string, threadId: string) =>
  api<void>(threadUrl(threadId, '/read'), { method: 'POST', clientId })

export const patchThread = (
  clientId: string,
  threadId: string,
  body: { assignedTo?: string | null; labels?: string[] },
) => api<Thread>(threadUrl(threadId), { method: 'PATCH', clientId, body })

/** A thread's internal notes, newest first (the page after `cursor` is older). */
export const listNotes = (clientId: string, threadId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<Note>>(threadUrl(threadId, '/notes'), { clientId, signal, query: { cursor, limit: 20 } })

/** Pauses or resumes the number's auto-reply on one conversation (a person sending pauses it by itself). */
export const setThreadAutoReply = (clientId: string, threadId: string, paused: boolean) =>
  api<Thread>(threadUrl(threadId, '/auto-reply'), { method: 'POST', clientId, body: { paused } })

export const addNote = (clientId: string, threadId: string, body: string) =>
  api<Note>(threadUrl(threadId, '/notes'), { method: 'POST', clientId, body: { body } })

/** A reply drafted by an agent from the conversation (metered: 402 when the credits run out). */
export const suggestReply = (clientId: string, threadId: string, agentId?: string) =>
  api<SuggestedReplyDto>(threadUrl(threadId, '/suggest'), {
    method: 'POST',
    clientId,
    body: agentId ? { agentId } : {},
  })

/** The client's inbox, live: `ready`, `change` ({ threadIds } | { all }), `resync`. */
export const inboxEvents = (clientId: string, signal: AbortSignal) =>
  openStream('/api/inbox/events', { signal, headers: { accept: 'text/event-stream', 'x-client-id': clientId } })

/** A composer's id for one message: reused when the same message is sent again. */
export const newClientMessageId = () =>
  typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID().replaceAll('-', '')
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')

/** Whether a free-form reply may be sent now (else only a template). */
export const windowOpen = (thread: Thread, now = Date.now()) =>
  thread.windowOpenUntil !== null && Date.parse(thread.windowOpenUntil) > now
