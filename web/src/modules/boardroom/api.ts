import type { MeetingDto } from '../../../../contracts/boardroom.ts'
import { api } from '../../lib/api.ts'
import { openStream } from '../../lib/follow-stream.ts'

/** An entry of GET /api/boardroom/meetings. */
export type MeetingSummary = Pick<MeetingDto, 'id' | 'topic' | 'agentIds' | 'status' | 'createdAt'>
export type MeetingCreateBody = { topic: string; agentIds: string[]; rounds: number }
export type MeetingTurn = MeetingDto['turns'][number]

export const MIN_AGENTS = 2
export const MAX_AGENTS = 5
export const MAX_ROUNDS = 3
/** The speaker of the closing summary turn. */
export const MODERATOR = 'moderator'
/** Model ids are `<provider>:<model>`; the offline model's provider is "offline". */
export const isOfflineModel = (modelId: string) => modelId.startsWith('offline:')

export const boardroomKeys = {
  lists: ['boardroom', 'list'] as const,
  list: (clientId: string) => ['boardroom', 'list', clientId] as const,
  meeting: (id: string) => ['boardroom', 'meeting', id] as const,
}

const meetingPath = (id: string, rest = '') => `/api/boardroom/meetings/${encodeURIComponent(id)}${rest}`

export const listMeetings = (clientId: string, signal?: AbortSignal) =>
  api<{ items: MeetingSummary[] }>('/api/boardroom/meetings', { clientId, signal }).then((r) => r.items)

export const createMeeting = (clientId: string, body: MeetingCreateBody) =>
  api<MeetingDto>('/api/boardroom/meetings', { method: 'POST', clientId, body })

// Like conversations, a meeting is addressed by its id alone (no X-Client-ID), so links to it keep working
// whichever client the sidebar shows.
export const getMeeting = (id: string, signal?: AbortSignal) => api<MeetingDto>(meetingPath(id), { signal })

export const cancelMeeting = (id: string) => api<{ cancelled: boolean }>(meetingPath(id, '/cancel'), { method: 'POST' })

/** The meeting's events after sequence number `after` (0 replays it from the start). */
export const meetingStream = (id: string, after: number, signal: AbortSignal) =>
  openStream(meetingPath(id, '/stream'), {
    signal,
    headers: { accept: 'text/event-stream', 'last-event-id': String(after) },
  })
