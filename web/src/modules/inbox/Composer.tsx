import { useMutation } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { KeyboardEvent } from 'react'
import { notifyError } from '../../lib/error-toast.ts'
import { Button } from '../../ui/Button.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { suggestReply } from './api.ts'

function Sparkle() {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} aria-hidden="true" className="size-4">
      <path d="M12 3l2 5 5 2-5 2-2 5-2-5-5-2 5-2z" strokeLinejoin="round" />
    </svg>
  )
}

/**
 * The reply box: Enter sends, Shift+Enter adds a line. "Suggest reply" asks an agent for a draft and puts it here to
 * edit before sending (it costs credits).
 */
export function Composer({
  clientId,
  threadId,
  canSend,
  onSend,
}: {
  clientId: string
  threadId: string
  canSend: boolean
  onSend: (text: string) => unknown
}) {
  const id = useId()
  const { notify } = useToast()
  const [text, setText] = useState('')
  const suggest = useMutation({
    mutationFn: () => suggestReply(clientId, threadId),
    onSuccess: (r) => {
      setText(r.text)
      document.getElementById(`${id}-reply`)?.focus()
    },
    onError: (e) => notifyError(notify, e),
  })
  const send = () => {
    const t = text.trim()
    if (!t || !canSend) return
    onSend(t)
    setText('')
  }
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing) return
    e.preventDefault()
    send()
  }
  return (
    <form
      className="border-t border-slate-200 bg-white p-3"
      onSubmit={(e) => {
        e.preventDefault()
        send()
      }}
    >
      <label htmlFor={`${id}-reply`} className="sr-only">
        Reply
      </label>
      <Textarea
        id={`${id}-reply`}
        aria-describedby={`${id}-keys`}
        rows={2}
        className="min-h-12! resize-none sm:min-h-16!"
        placeholder={canSend ? 'Write a reply…' : 'Viewers cannot reply'}
        disabled={!canSend}
        maxLength={4096}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="mt-2 flex flex-wrap items-center justify-between gap-2">
        <Button
          variant="secondary"
          className="py-1.5"
          disabled={!canSend}
          pending={suggest.isPending}
          onClick={() => suggest.mutate()}
        >
          {!suggest.isPending && <Sparkle />}
          {suggest.isPending ? 'Drafting…' : 'Suggest reply'}
        </Button>
        <div className="flex items-center gap-2">
          <span id={`${id}-keys`} className="hidden text-xs text-slate-500 sm:inline">
            Enter to send, Shift+Enter for a new line
          </span>
          <Button type="submit" className="py-1.5" disabled={!canSend || !text.trim()}>
            Send
          </Button>
        </div>
      </div>
    </form>
  )
}
