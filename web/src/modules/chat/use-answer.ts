import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ChatEvent } from '../../../../contracts/chat.ts'
import { followStream, wait } from '../../lib/follow-stream.ts'
import { cancelAnswer, chatKeys, resumeAnswer, sendMessage } from './api.ts'
import { EMPTY, apply } from './live-answer.ts'
import type { LiveAnswer } from './live-answer.ts'

const RETRIES = 5
const STOP_GRACE_MS = 5_000

/**
 * Sends a question and follows its answer, or resumes an answer already being written. A broken stream is
 * picked up again from the last event seen (Last-Event-ID); the server keeps writing either way.
 */
export function useAnswer(conversationId: string) {
  const qc = useQueryClient()
  const [live, setLive] = useState<LiveAnswer | null>(null)
  const [error, setError] = useState<unknown>(null)
  const active = useRef<AbortController | null>(null)

  useEffect(
    () => () => {
      active.current?.abort()
      active.current = null
    },
    [],
  )

  /** Shows the saved messages once they have been reloaded, then drops the live copy. */
  const settle = useCallback(async () => {
    await Promise.all([
      qc.invalidateQueries({ queryKey: chatKeys.messages(conversationId) }),
      qc.invalidateQueries({ queryKey: chatKeys.conversation(conversationId) }),
      qc.invalidateQueries({ queryKey: ['chat', 'lists'] }),
      // The answer was charged: balance, caps, estimates and the usage page move with it.
      qc.invalidateQueries({ queryKey: ['credits'] }),
    ])
    setLive(null)
  }, [qc, conversationId])

  /** Reads events until `done`; a broken or failed connection is reopened from the last event seen. */
  const follow = useCallback(
    async (first: Response | null, ctrl: AbortController) => {
      let pending = first
      try {
        await followStream({
          signal: ctrl.signal,
          retries: RETRIES,
          // The POST's own response is the first connection; any later one resumes with Last-Event-ID.
          open: async (after, signal) => {
            const res = pending ?? (await resumeAnswer(conversationId, after, signal))
            pending = null
            return res
          },
          onEvent: (m) => {
            const event = { type: m.event, ...m.data } as ChatEvent
            // The conversation now belongs to another agent: the header should show it at once.
            if (event.type === 'handoff') void qc.invalidateQueries({ queryKey: chatKeys.conversation(conversationId) })
            setLive((prev) => apply(prev, event))
          },
        })
      } catch (e) {
        if (ctrl.signal.aborted) return
        setError(e)
      } finally {
        if (active.current === ctrl) active.current = null
      }
      if (ctrl.signal.aborted) return
      await settle()
    },
    [conversationId, qc, settle],
  )

  const start = useCallback(() => {
    active.current?.abort()
    const ctrl = new AbortController()
    active.current = ctrl
    setError(null)
    return ctrl
  }, [])

  /** Resolves true once the question was accepted (the composer may then clear), false on an error. */
  const send = useCallback(
    async (content: string, modelId?: string) => {
      if (active.current) return false
      const ctrl = start()
      setLive({ ...EMPTY, userText: content })
      try {
        const res = await sendMessage(conversationId, { content, modelId }, ctrl.signal)
        void follow(res, ctrl)
        return true
      } catch (e) {
        if (active.current === ctrl) active.current = null
        if (!ctrl.signal.aborted) {
          setLive(null)
          setError(e)
        }
        return false
      }
    },
    [conversationId, follow, start],
  )

  /** Follows the latest answer from its start; does nothing while one is already followed. */
  const resume = useCallback(() => {
    if (active.current) return
    void follow(null, start())
  }, [follow, start])

  const [stopping, setStopping] = useState(false)
  /**
   * Asks the server to stop; the stream then ends with a `done` event whose status is "cancelled". Should that
   * event not come (an answer orphaned by a server restart), the stream is dropped after STOP_GRACE_MS.
   */
  const stop = useCallback(async () => {
    setStopping(true)
    try {
      await cancelAnswer(conversationId)
      const ctrl = active.current
      if (!ctrl) return void (await settle())
      for (let t = 0; t < STOP_GRACE_MS && active.current === ctrl; t += 250) await wait(250, ctrl.signal)
      if (active.current !== ctrl) return
      ctrl.abort()
      active.current = null
      await settle()
    } catch (e) {
      setError(e)
    } finally {
      setStopping(false)
    }
  }, [conversationId, settle])

  return { live, error, send, resume, stop, stopping, clearError: () => setError(null) }
}
