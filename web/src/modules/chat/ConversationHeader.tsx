import { useId, useRef, useState } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import type { ConversationDto } from '../../../../contracts/chat.ts'
import { errorMessage } from '../../lib/api.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button, buttonClass } from '../../ui/Button.tsx'
import { Input } from '../../ui/Input.tsx'
import { ChatBalance } from './ChatBalance.tsx'
import { useUpdateConversation } from './queries.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

type Props = { conversation: ConversationDto; agent: AgentDto | undefined; editable: boolean }

/** Agent, title (renamed in place) and the pin and archive buttons of an open conversation. */
export function ConversationHeader({ conversation, agent, editable }: Props) {
  const update = useUpdateConversation(conversation.id)
  const [editing, setEditing] = useState(false)
  const [title, setTitle] = useState(conversation.title)
  const renameRef = useRef<HTMLButtonElement>(null)
  const inputId = useId()

  const closeEditor = () => {
    setEditing(false)
    requestAnimationFrame(() => renameRef.current?.focus())
  }
  const save = () => {
    const next = title.trim()
    if (!next || next === conversation.title) return closeEditor()
    update.mutate({ title: next }, { onSuccess: closeEditor })
  }

  return (
    <header className="mb-6 border-b border-slate-200 pb-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex min-w-[min(16rem,100%)] flex-1 items-center gap-3">
          <AgentAvatar agent={agent} size={44} />
          <div className="min-w-0 flex-1">
            <p className="truncate text-sm font-medium text-slate-600">{agent?.name ?? 'Agent'}</p>
            {editing ? (
              <form
                className="mt-1 flex flex-wrap items-center gap-2"
                onSubmit={(e) => {
                  e.preventDefault()
                  save()
                }}
              >
                <h1 className="sr-only">{conversation.title}</h1>
                <label htmlFor={inputId} className="sr-only">
                  Conversation title
                </label>
                <Input
                  id={inputId}
                  autoFocus
                  className="max-w-md flex-1"
                  value={title}
                  maxLength={120}
                  onChange={(e) => setTitle(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') closeEditor()
                  }}
                />
                <Button type="submit" pending={update.isPending}>
                  Save
                </Button>
                <Button variant="ghost" onClick={closeEditor}>
                  Cancel
                </Button>
              </form>
            ) : (
              <h1 className="truncate text-xl font-semibold tracking-tight text-slate-900">{conversation.title}</h1>
            )}
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <ChatBalance clientId={conversation.clientId} />
          {editable && (
            <>
              {!editing && (
                <button
                  type="button"
                  ref={renameRef}
                  className={buttonClass('secondary')}
                  onClick={() => {
                    setTitle(conversation.title)
                    update.reset()
                    setEditing(true)
                  }}
                >
                  Rename
                </button>
              )}
              <Button
                variant="secondary"
                disabled={update.isPending}
                onClick={() => update.mutate({ pinned: !conversation.pinned })}
              >
                {conversation.pinned ? 'Unpin' : 'Pin'}
              </Button>
              <Button
                variant="secondary"
                disabled={update.isPending}
                onClick={() => update.mutate({ archived: !conversation.archivedAt })}
              >
                {conversation.archivedAt ? 'Unarchive' : 'Archive'}
              </Button>
            </>
          )}
        </div>
      </div>
      {(conversation.pinned || conversation.archivedAt) && (
        <p className="mt-2 text-xs text-slate-500">
          {[conversation.pinned && 'Pinned', conversation.archivedAt && 'Archived'].filter(Boolean).join(' · ')}
        </p>
      )}
      {update.isError && (
        <Alert tone="error" className="mt-3">
          {errorMessage(update.error)}
        </Alert>
      )}
    </header>
  )
}
