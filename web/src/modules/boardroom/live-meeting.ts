import type { MeetingDto, MeetingEvent } from '../../../../contracts/boardroom.ts'
import { isOfflineModel } from './api.ts'
import type { MeetingTurn } from './api.ts'

export type LiveTurn = MeetingTurn & { offline: boolean; error: { code: string; message: string } | null }

/** The meeting as its events describe it: turns by id, in the order they started. */
export type LiveMeeting = { turns: LiveTurn[]; done: MeetingDto['status'] | null }

export const EMPTY_MEETING: LiveMeeting = { turns: [], done: null }

const patchTurn = (live: LiveMeeting, id: string, patch: (t: LiveTurn) => LiveTurn): LiveMeeting => ({
  ...live,
  turns: live.turns.map((t) => (t.id === id ? patch(t) : t)),
})

/** The meeting after one more event. */
export const applyMeetingEvent = (live: LiveMeeting, e: MeetingEvent): LiveMeeting => {
  switch (e.type) {
    case 'turn': {
      const turn: LiveTurn = {
        id: e.turnId,
        round: e.round,
        position: e.position,
        speaker: e.speaker,
        modelId: e.modelId,
        offline: e.offline,
        content: '',
        status: 'streaming',
        usage: null,
        error: null,
      }
      return { ...live, turns: [...live.turns.filter((t) => t.id !== e.turnId), turn] }
    }
    case 'delta':
      return patchTurn(live, e.turnId, (t) => ({ ...t, content: t.content + e.text }))
    case 'turn-end':
      return patchTurn(live, e.turnId, (t) => ({ ...t, status: e.status, usage: e.usage, error: e.error ?? null }))
    case 'done':
      return { ...live, done: e.status }
    default:
      return live
  }
}

/** Saved turns with the live copies in place of theirs, by position. */
export const mergeTurns = (saved: MeetingTurn[], live: LiveMeeting | null): LiveTurn[] => {
  const byId = new Map<string, LiveTurn>(
    saved.map((t) => [t.id, { ...t, offline: isOfflineModel(t.modelId), error: null }]),
  )
  for (const t of live?.turns ?? []) byId.set(t.id, t)
  return [...byId.values()].sort((a, b) => a.position - b.position || a.round - b.round)
}
