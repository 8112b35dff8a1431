import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit as canEditRole } from '../../lib/roles.ts'
import { Button } from '../../ui/Button.tsx'
import { ExtractBookingButton } from '../crm/index.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { useToast } from '../../ui/Toast.tsx'
import { inboxKeys, markRead, setThreadAutoReply, windowOpen } from './api.ts'
import type { Thread } from './api.ts'
import { Composer } from './Composer.tsx'
import { MessageList } from './MessageList.tsx'
import { Avatar, contactName, useMembers } from './people.tsx'
import { TemplatePicker } from './TemplatePicker.tsx'
import { ThreadDetails } from './ThreadDetails.tsx'
import { useSend } from './use-send.ts'

/** One conversation: its messages, the reply box (or a template when the window is closed), and its details. */
export function Conversation({ clientId, thread }: { clientId: string; thread: Thread }) {
  const qc = useQueryClient()
  const editor = canEditRole(useWorkspace().role)
  const { byId } = useMembers()
  const [details, setDetails] = useState(false)
  const { pending, send, retry } = useSend(clientId, thread.id)
  const name = contactName(thread)
  // Opened (or a new message came in while it is open): read. Viewers may look without marking it for the team.
  useEffect(() => {
    if (!editor || thread.unread === 0) return
    markRead(clientId, thread.id).then(
      () => void qc.invalidateQueries({ queryKey: inboxKeys.threads(clientId) }),
      () => undefined,
    )
  }, [clientId, thread.id, thread.unread, editor, qc])
  const assignee = thread.assignedTo ? (byId.get(thread.assignedTo)?.name ?? 'Someone') : null
  const { notify } = useToast()
  const resume = useMutation({
    mutationFn: () => setThreadAutoReply(clientId, thread.id, false),
    onSuccess: () => {
      notify('Auto-reply resumed on this conversation')
      void qc.invalidateQueries({ queryKey: inboxKeys.threads(clientId) })
    },
    onError: (e) => notifyError(notify, e),
  })
  return (
    <>
      <header className="flex items-center gap-3 border-b border-slate-200 px-3 py-2.5">
        <Link
          to="/app/inbox"
          className="rounded-md p-1.5 text-slate-700 hover:bg-slate-100 md:hidden"
          aria-label="Back to conversations"
        >
          <svg
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            strokeWidth={2}
            aria-hidden="true"
            className="size-5"
          >
            <path d="M15 5l-7 7 7 7" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </Link>
        <Avatar name={name} />
        <div className="min-w-0 flex-1">
          <h2 className="truncate text-base font-semibold text-slate-900">{name}</h2>
          <p className="truncate text-xs text-slate-500">
            {thread.contact.phone ? `+${thread.contact.phone}` : thread.contact.waId}
            {assignee && <> · assigned to {assignee}</>}
          </p>
        </div>
        {editor && <ExtractBookingButton clientId={clientId} threadId={thread.id} />}
        <Button variant="secondary" className="py-1.5" onClick={() => setDetails(true)}>
          Details
        </Button>
      </header>
      {thread.autoReplyPaused && (
        <p
          role="status"
          className="flex flex-wrap items-center gap-2 border-b border-amber-200 bg-amber-50 px-3 py-1.5 text-sm text-amber-900"
        >
          Auto-reply is paused here: a person took over.
          {editor && (
            <Button variant="ghost" className="py-0.5" pending={resume.isPending} onClick={() => resume.mutate()}>
              Resume auto-reply
            </Button>
          )}
        </p>
      )}
      <MessageList clientId={clientId} threadId={thread.id} pending={pending} onRetry={retry} />
      {windowOpen(thread) ? (
        <Composer clientId={clientId} threadId={thread.id} canSend={editor} onSend={(text) => send({ text })} />
      ) : (
        <TemplatePicker channelId={thread.channelId} canSend={editor} onSend={(template) => send({ template })} />
      )}
      <ThreadDetails
        clientId={clientId}
        thread={thread}
        canEdit={editor}
        open={details}
        onClose={() => setDetails(false)}
      />
    </>
  )
}
