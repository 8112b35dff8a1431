import { useQueryClient } from '@tanstack/react-query'
import type { InfiniteData } from '@tanstack/react-query'
import { useState } from 'react'
import { ApiError, errorMessage } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { useToast } from '../../ui/Toast.tsx'
import { inboxKeys, newClientMessageId, sendMessage } from './api.ts'
import type { InboxMessage, Outgoing, Page } from './api.ts'

/** A message the composer sent that the server has not answered yet (or refused): drawn at once, queued. */
export type PendingSend = {
  clientMessageId: string
  body: Outgoing
  at: string
  sending: boolean
  error: { code: string; message: string } | null
}

/**
 * Sends from a thread's composer: each message is drawn at once as queued; the answer replaces it with the stored
 * message. A failed send stays, marked, and "Send again" reuses its clientMessageId (the server answers the same
 * message if the first attempt did arrive).
 */
export function useSend(clientId: string, threadId: string) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [pending, setPending] = useState<PendingSend[]>([])
  const update = (id: string, patch: Partial<PendingSend> | null) =>
    setPending((all) =>
      patch === null
        ? all.filter((p) => p.clientMessageId !== id)
        : all.map((p) => (p.clientMessageId === id ? { ...p, ...patch } : p)),
    )

  const attempt = async (p: PendingSend) => {
    update(p.clientMessageId, { sending: true, error: null })
    try {
      const message = await sendMessage(clientId, threadId, { ...p.body, clientMessageId: p.clientMessageId })
      qc.setQueryData<InfiniteData<Page<InboxMessage>>>(inboxKeys.messages(clientId, threadId), (old) => {
        if (!old || old.pages.some((pg) => pg.items.some((m) => m.id === message.id))) return old
        const [head, ...rest] = old.pages
        return { ...old, pages: [{ ...head!, items: [message, ...head!.items] }, ...rest] }
      })
      update(p.clientMessageId, null)
      void qc.invalidateQueries({ queryKey: inboxKeys.threads(clientId) })
      return true
    } catch (e) {
      const error =
        e instanceof ApiError ? { code: e.code, message: e.message } : { code: 'unknown', message: errorMessage(e) }
      update(p.clientMessageId, { sending: false, error })
      if (e instanceof ApiError && e.status === 402) notifyError(notify, e)
      return false
    }
  }

  const send = (body: Outgoing) => {
    const p: PendingSend = {
      clientMessageId: newClientMessageId(),
      body,
      at: new Date().toISOString(),
      sending: true,
      error: null,
    }
    setPending((all) => [...all, p])
    return attempt(p)
  }

  return { pending, send, retry: (p: PendingSend) => void attempt(p) }
}
