import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { MeetingEvent } from '../../../../contracts/boardroom.ts'
import { followStream } from '../../lib/follow-stream.ts'
import { boardroomKeys, meetingStream } from './api.ts'
import { EMPTY_MEETING, applyMeetingEvent } from './live-meeting.ts'
import type { LiveMeeting } from './live-meeting.ts'

/**
 * While `running`, follows the meeting's events from its start (reconnecting from the last event seen when
 * the connection breaks). On `done` the meeting is reloaded and the live copy dropped.
 */
export function useMeetingStream(meetingId: string, running: boolean) {
  const qc = useQueryClient()
  const [live, setLive] = useState<LiveMeeting | null>(null)
  const [error, setError] = useState<unknown>(null)

  useEffect(() => {
    if (!running) return
    const ctrl = new AbortController()
    setError(null)
    setLive(EMPTY_MEETING)
    const settle = async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: boardroomKeys.meeting(meetingId) }),
        qc.invalidateQueries({ queryKey: boardroomKeys.lists }),
      ])
      setLive(null)
    }
    followStream({
      open: (after, signal) => meetingStream(meetingId, after, signal),
      signal: ctrl.signal,
      onEvent: (m) =>
        setLive((prev) => applyMeetingEvent(prev ?? EMPTY_MEETING, { type: m.event, ...m.data } as MeetingEvent)),
    }).then(
      () => {
        if (!ctrl.signal.aborted) void settle()
      },
      (e: unknown) => {
        if (!ctrl.signal.aborted) setError(e)
      },
    )
    return () => ctrl.abort()
  }, [meetingId, running, qc])

  return { live, error }
}
