import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { useAuthStatus } from '../../app/session.ts'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Button } from '../../ui/Button.tsx'
import { Sheet } from '../../ui/Dialog.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { addNote, inboxKeys, listNotes, patchThread } from './api.ts'
import type { Thread } from './api.ts'
import { contactName, useMembers } from './people.tsx'

/**
 * A thread's details in a sheet from the right (the whole width on a phone): who handles it, its labels, and the
 * team's internal notes (never sent to the contact). Escape closes it, focus returns to the opener.
 */
export function ThreadDetails({
  clientId,
  thread,
  canEdit,
  open,
  onClose,
}: {
  clientId: string
  thread: Thread
  canEdit: boolean
  open: boolean
  onClose: () => void
}) {
  return (
    <Sheet open={open} title={contactName(thread)} onClose={onClose}>
      <div className="space-y-6">
        <p className="text-sm text-slate-600">
          {thread.contact.phone ? `+${thread.contact.phone}` : thread.contact.waId}
        </p>
        <Assignee clientId={clientId} thread={thread} canEdit={canEdit} />
        <Labels clientId={clientId} thread={thread} canEdit={canEdit} />
        <Notes clientId={clientId} threadId={thread.id} canEdit={canEdit} />
      </div>
    </Sheet>
  )
}

/** A label as the server keeps it: trimmed, at most 32 characters. */
const LABEL_MAX = 32

/** Saves the assignee or the labels; the sheet shows the result itself (toasts sit under a modal sheet, unseen). */
const usePatch = (clientId: string, threadId: string) => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { assignedTo?: string | null; labels?: string[] }) => patchThread(clientId, threadId, body),
    meta: { success: 'Conversation updated.' },
    onSuccess: (thread) => {
      qc.setQueryData(inboxKeys.thread(clientId, threadId), thread)
      void qc.invalidateQueries({ queryKey: inboxKeys.threads(clientId) })
    },
  })
}

function PatchError({ patch }: { patch: { isError: boolean; error: unknown } }) {
  if (!patch.isError) return null
  return (
    <p role="alert" className="mt-1 text-sm text-red-700">
      {errorMessage(patch.error)}
    </p>
  )
}

function Assignee({ clientId, thread, canEdit }: { clientId: string; thread: Thread; canEdit: boolean }) {
  const id = useId()
  const { query, members } = useMembers()
  const me = useAuthStatus().data?.user?.id ?? null
  const patch = usePatch(clientId, thread.id)
  return (
    <section>
      <label htmlFor={id} className="block text-sm font-semibold text-slate-900">
        Assigned to
      </label>
      {query.isError ? (
        <p className="mt-1 text-sm text-red-700">Could not load the members: {errorMessage(query.error)}</p>
      ) : (
        <Select
          id={id}
          className="mt-1"
          value={thread.assignedTo ?? ''}
          disabled={!canEdit || patch.isPending || query.isPending}
          onChange={(e) => patch.mutate({ assignedTo: e.target.value || null })}
        >
          <option value="">Nobody</option>
          {members.map((m) => (
            <option key={m.userId} value={m.userId}>
              {m.name}
            </option>
          ))}
          {thread.assignedTo && !members.some((m) => m.userId === thread.assignedTo) && (
            <option value={thread.assignedTo}>A former member</option>
          )}
        </Select>
      )}
      {canEdit && me && thread.assignedTo !== me && members.some((m) => m.userId === me) && (
        <Button
          variant="ghost"
          className="mt-1 px-0 py-1 text-indigo-700"
          disabled={patch.isPending}
          onClick={() => patch.mutate({ assignedTo: me })}
        >
          Assign to me
        </Button>
      )}
      <PatchError patch={patch} />
    </section>
  )
}

function Labels({ clientId, thread, canEdit }: { clientId: string; thread: Thread; canEdit: boolean }) {
  const id = useId()
  const [draft, setDraft] = useState('')
  const labels = thread.labels
  const patch = usePatch(clientId, thread.id)
  const add = () => {
    const l = draft.trim().slice(0, LABEL_MAX)
    if (!l || labels.includes(l)) return setDraft('')
    patch.mutate({ labels: [...labels, l] }, { onSuccess: () => setDraft('') })
  }
  return (
    <section>
      <h3 className="text-sm font-semibold text-slate-900">Labels</h3>
      {labels.length === 0 ? (
        <p className="mt-1 text-sm text-slate-500">No labels.</p>
      ) : (
        <ul className="mt-2 flex flex-wrap gap-1.5">
          {labels.map((l) => (
            <li
              key={l}
              className="flex items-center gap-1 rounded bg-slate-100 py-0.5 pr-1 pl-2 text-xs text-slate-800"
            >
              {l}
              {canEdit && (
                <button
                  type="button"
                  aria-label={`Remove label ${l}`}
                  disabled={patch.isPending}
                  onClick={() => patch.mutate({ labels: labels.filter((x) => x !== l) })}
                  className="rounded px-1 text-slate-500 hover:bg-slate-200 hover:text-slate-900"
                >
                  <svg
                    viewBox="0 0 24 24"
                    className="size-3"
                    fill="none"
                    stroke="currentColor"
                    strokeWidth={2.5}
                    aria-hidden="true"
                  >
                    <path d="M6 6l12 12M18 6L6 18" />
                  </svg>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <form
          className="mt-2 flex gap-2"
          onSubmit={(e) => {
            e.preventDefault()
            add()
          }}
        >
          <label htmlFor={id} className="sr-only">
            New label
          </label>
          <Input
            id={id}
            placeholder="Add a label"
            maxLength={LABEL_MAX}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <Button type="submit" variant="secondary" pending={patch.isPending} disabled={!draft.trim()}>
            Add
          </Button>
        </form>
      )}
      <PatchError patch={patch} />
    </section>
  )
}

function Notes({ clientId, threadId, canEdit }: { clientId: string; threadId: string; canEdit: boolean }) {
  const id = useId()
  const qc = useQueryClient()
  const { byId } = useMembers()
  const [body, setBody] = useState('')
  const query = useInfiniteQuery({
    queryKey: inboxKeys.notes(clientId, threadId),
    queryFn: ({ pageParam, signal }) => listNotes(clientId, threadId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const notes = query.data?.pages.flatMap((p) => p.items) ?? []
  const add = useMutation({
    mutationFn: () => addNote(clientId, threadId, body.trim()),
    meta: { success: 'Note added.' },
    onSuccess: () => {
      setBody('')
      void qc.invalidateQueries({ queryKey: inboxKeys.notes(clientId, threadId) })
    },
  })
  return (
    <section>
      <h3 className="text-sm font-semibold text-slate-900">Internal notes</h3>
      <p className="text-xs text-slate-500">Only your team sees these; they are never sent.</p>
      {query.isPending ? (
        <div aria-hidden="true" className="mt-2 h-16 animate-pulse rounded bg-slate-100" />
      ) : query.isError ? (
        <div className="mt-2">
          <QueryError error={query.error} onRetry={() => void query.refetch()} />
        </div>
      ) : notes.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">No notes yet.</p>
      ) : (
        <ul className="mt-2 space-y-2" aria-label="Notes">
          {notes.map((n) => (
            <li
              key={n.id}
              className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm"
              data-testid="thread-note"
            >
              <p className="whitespace-pre-wrap text-slate-900">{n.body}</p>
              <p className="mt-1 text-xs text-slate-500">
                {byId.get(n.authorId)?.name ?? 'A member'} · {formatDateTime(n.createdAt)}
              </p>
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={query} />
      {canEdit && (
        <form
          className="mt-3 space-y-2"
          onSubmit={(e) => {
            e.preventDefault()
            if (body.trim()) add.mutate()
          }}
        >
          <label htmlFor={id} className="sr-only">
            New note
          </label>
          <Textarea
            id={id}
            className="min-h-16!"
            placeholder="Add a note for the team"
            maxLength={4000}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
          {add.isError && (
            <p role="alert" className="text-sm text-red-700">
              {errorMessage(add.error)}
            </p>
          )}
          <div className="flex justify-end">
            <Button type="submit" variant="secondary" pending={add.isPending} disabled={!body.trim()}>
              Add note
            </Button>
          </div>
        </form>
      )}
    </section>
  )
}
