import type { InboxMessageDto } from '../../../../contracts/inbox.ts'
import type {
  AskAnswerDto,
  BookingCreate,
  BookingDraftDto,
  BookingDto,
  ContactCreate,
  ContactDto,
  ContactPatch,
  ContactViewDto,
  ContactViewPatch,
  CrmSettingsDto,
  CrmSettingsPut,
  CrmNoteDto,
  DealDto,
  DealPatch,
  PipelineDto,
  TaskDto,
  TimelineItem,
} from '../../../../contracts/crm.ts'
import { api } from '../../lib/api.ts'

export type Page<T> = { items: T[]; nextCursor: string | null }
export type Contact = ContactDto
export type Booking = BookingDto
export type Deal = DealDto
export type Pipeline = PipelineDto
export type Task = TaskDto
export type Note = CrmNoteDto
export type BookingDraft = BookingDraftDto
export type AskAnswer = AskAnswerDto
export type BookingStatus = Booking['status']
export type ContactView = ContactViewDto
export type CrmSettings = CrmSettingsDto
export type { TimelineItem }

export type ContactFilters = {
  q?: string | undefined
  tag?: string | undefined
  owner?: string | undefined
  archived: 'exclude' | 'include' | 'only'
}
export type BookingFilters = {
  status?: BookingStatus | undefined
  from?: string | undefined
  to?: string | undefined
  contactId?: string | undefined
}

export const crmKeys = {
  all: (clientId: string) => ['crm', clientId] as const,
  contacts: (clientId: string) => ['crm', clientId, 'contacts'] as const,
  contactList: (clientId: string, f: ContactFilters) => ['crm', clientId, 'contacts', 'list', f] as const,
  contact: (clientId: string, id: string) => ['crm', clientId, 'contacts', 'one', id] as const,
  timeline: (clientId: string, id: string) => ['crm', clientId, 'contacts', 'one', id, 'timeline'] as const,
  notes: (clientId: string, id: string) => ['crm', clientId, 'contacts', 'one', id, 'notes'] as const,
  tasks: (clientId: string, id: string) => ['crm', clientId, 'contacts', 'one', id, 'tasks'] as const,
  bookings: (clientId: string) => ['crm', clientId, 'bookings'] as const,
  bookingList: (clientId: string, f: BookingFilters) => ['crm', clientId, 'bookings', f] as const,
  pipelines: (clientId: string) => ['crm', clientId, 'pipelines'] as const,
  views: (clientId: string) => ['crm', clientId, 'views'] as const,
  settings: (clientId: string) => ['crm', clientId, 'settings'] as const,
  deals: (clientId: string, pipelineId: string) => ['crm', clientId, 'deals', pipelineId] as const,
}

const contactUrl = (id: string, rest = '') => `/api/crm/contacts/${encodeURIComponent(id)}${rest}`

export const listContacts = (clientId: string, f: ContactFilters, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<Contact>>('/api/crm/contacts', {
    clientId,
    signal,
    query: { cursor, limit: 25, q: f.q?.trim(), tag: f.tag?.trim(), owner: f.owner, archived: f.archived },
  })
export const getContact = (clientId: string, id: string, signal?: AbortSignal) =>
  api<Contact>(contactUrl(id), { clientId, signal })
export const createContact = (clientId: string, body: ContactCreate) =>
  api<Contact>('/api/crm/contacts', { method: 'POST', clientId, body })
export const patchContact = (clientId: string, id: string, body: ContactPatch) =>
  api<Contact>(contactUrl(id), { method: 'PATCH', clientId, body })
export const setArchived = (clientId: string, id: string, archived: boolean) =>
  api<Contact>(contactUrl(id, archived ? '/archive' : '/unarchive'), { method: 'POST', clientId })

export const listTimeline = (clientId: string, id: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<TimelineItem>>(contactUrl(id, '/timeline'), { clientId, signal, query: { cursor, limit: 20 } })
export const listNotes = (clientId: string, id: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<Note>>(contactUrl(id, '/notes'), { clientId, signal, query: { cursor, limit: 20 } })
export const addNote = (clientId: string, id: string, body: string) =>
  api<Note>(contactUrl(id, '/notes'), { method: 'POST', clientId, body: { body } })
export const listTasks = (clientId: string, id: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<Task>>(contactUrl(id, '/tasks'), { clientId, signal, query: { cursor, limit: 20 } })
export const addTask = (clientId: string, id: string, body: { title: string; dueDate?: string | null }) =>
  api<Task>(contactUrl(id, '/tasks'), { method: 'POST', clientId, body })
export const setTaskDone = (clientId: string, taskId: string, done: boolean) =>
  api<Task>(`/api/crm/tasks/${encodeURIComponent(taskId)}`, { method: 'PATCH', clientId, body: { done } })
/** Metered: answered from the contact's records by scoped tools, citing them. */
export const askAboutContact = (clientId: string, id: string, question: string) =>
  api<AskAnswer>(contactUrl(id, '/ask'), { method: 'POST', clientId, body: { question } })

export const listBookings = (
  clientId: string,
  f: BookingFilters,
  cursor: string | undefined,
  signal?: AbortSignal,
  limit = 50,
) =>
  api<Page<Booking>>('/api/crm/bookings', {
    clientId,
    signal,
    query: { cursor, limit, status: f.status, from: f.from, to: f.to, contactId: f.contactId },
  })
export const createBooking = (clientId: string, body: BookingCreate) =>
  api<Booking>('/api/crm/bookings', { method: 'POST', clientId, body })

export const listPipelines = (clientId: string, signal?: AbortSignal) =>
  api<{ items: Pipeline[] }>('/api/crm/pipelines', { clientId, signal })
export const listDeals = (clientId: string, pipelineId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<Deal>>('/api/crm/deals', { clientId, signal, query: { pipelineId, cursor, limit: 100 } })
export const patchDeal = (clientId: string, id: string, body: DealPatch) =>
  api<Deal>(`/api/crm/deals/${encodeURIComponent(id)}`, { method: 'PATCH', clientId, body })

/** A draft booking read from a conversation (metered; writes nothing but its audit record). */
export const extractBooking = (clientId: string, threadId: string) =>
  api<BookingDraft>(`/api/inbox/threads/${encodeURIComponent(threadId)}/extract-booking`, {
    method: 'POST',
    clientId,
    body: {},
  })

/** A conversation's latest messages (to show which one a drafted field came from). */
export const listThreadMessages = (clientId: string, threadId: string, signal?: AbortSignal) =>
  api<Page<InboxMessageDto>>(`/api/inbox/threads/${encodeURIComponent(threadId)}/messages`, {
    clientId,
    signal,
    query: { limit: 100 },
  })

/** Saved views of the contacts list: the caller's own and the ones shared with the client's members. */
export const listViews = (clientId: string, signal?: AbortSignal) =>
  api<{ items: ContactView[] }>('/api/crm/views', { clientId, signal })
export const createView = (clientId: string, body: { name: string; shared: boolean; filters: ContactFilters }) =>
  api<ContactView>('/api/crm/views', {
    method: 'POST',
    clientId,
    body: { ...body, filters: viewFilters(body.filters) },
  })
export const patchView = (clientId: string, id: string, body: ContactViewPatch) =>
  api<ContactView>(`/api/crm/views/${encodeURIComponent(id)}`, { method: 'PATCH', clientId, body })
export const deleteView = (clientId: string, id: string) =>
  api<void>(`/api/crm/views/${encodeURIComponent(id)}`, { method: 'DELETE', clientId })
/** The list's filters as a view keeps them (no empty values). */
export const viewFilters = (f: ContactFilters): ContactViewDto['filters'] => ({
  ...(f.q?.trim() ? { q: f.q.trim() } : {}),
  ...(f.tag?.trim() ? { tag: f.tag.trim() } : {}),
  ...(f.owner ? { owner: f.owner } : {}),
  archived: f.archived,
})

/** The client's CRM settings: default country of phones, and its time zone (admins change them). */
export const getCrmSettings = (clientId: string, signal?: AbortSignal) =>
  api<CrmSettings>('/api/crm/settings', { clientId, signal })
export const putCrmSettings = (clientId: string, body: CrmSettingsPut) =>
  api<CrmSettings>('/api/crm/settings', { method: 'PUT', clientId, body })
