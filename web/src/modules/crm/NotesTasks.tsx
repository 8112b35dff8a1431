import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { notifyError } from '../../lib/error-toast.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { Input, Textarea } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { addNote, addTask, crmKeys, listNotes, listTasks, setTaskDone } from './api.ts'
import { formatDay } from './format.ts'

type Props = { clientId: string; contactId: string; canEdit: boolean }

const paged = { initialPageParam: undefined as string | undefined }

/** A contact's tasks: add one (with an optional due date), tick it done or open again. */
export function TasksPanel({ clientId, contactId, canEdit }: Props) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [title, setTitle] = useState('')
  const [due, setDue] = useState('')
  const query = useInfiniteQuery({
    ...paged,
    queryKey: crmKeys.tasks(clientId, contactId),
    queryFn: ({ pageParam, signal }) => listTasks(clientId, contactId, pageParam, signal),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: crmKeys.tasks(clientId, contactId) })
    void qc.invalidateQueries({ queryKey: crmKeys.timeline(clientId, contactId) })
  }
  const add = useMutation({
    mutationFn: () => addTask(clientId, contactId, { title: title.trim(), dueDate: due || null }),
    onSuccess: () => {
      notify('Task added')
      setTitle('')
      setDue('')
      refresh()
    },
    onError: (e) => notifyError(notify, e),
  })
  const toggle = useMutation({
    mutationFn: (t: { id: string; done: boolean }) => setTaskDone(clientId, t.id, t.done),
    onSuccess: (t) => {
      notify(t.done ? 'Task completed' : 'Task opened again')
      refresh()
    },
    onError: (e) => notifyError(notify, e),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (title.trim()) add.mutate()
  }
  return (
    <Card title="Tasks">
      {canEdit && (
        <form onSubmit={submit} className="mb-4 flex flex-wrap gap-2">
          <Input
            aria-label="New task"
            placeholder="Call back about the cake"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            maxLength={300}
            className="min-w-0 flex-1 basis-40"
          />
          <Input
            aria-label="Due date"
            type="date"
            value={due}
            onChange={(e) => setDue(e.target.value)}
            className="w-auto"
          />
          <Button type="submit" variant="secondary" pending={add.isPending} disabled={!title.trim()}>
            Add task
          </Button>
        </form>
      )}
      <QueryState query={query} label="Loading tasks…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) return <p className="text-sm text-slate-600">No tasks.</p>
          return (
            <>
              <ul aria-label="Tasks" className="space-y-2">
                {items.map((t) => (
                  <li key={t.id} className="flex items-start gap-2 text-sm">
                    <input
                      type="checkbox"
                      id={`task-${t.id}`}
                      checked={t.done}
                      disabled={!canEdit || toggle.isPending}
                      onChange={(e) => toggle.mutate({ id: t.id, done: e.target.checked })}
                      className="mt-0.5 size-4"
                    />
                    <label htmlFor={`task-${t.id}`} className="min-w-0 flex-1 break-words">
                      <span className={t.done ? 'text-slate-500 line-through' : 'text-slate-800'}>{t.title}</span>
                      {t.dueDate && <span className="text-xs text-slate-500"> · due {formatDay(t.dueDate)}</span>}
                    </label>
                  </li>
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </Card>
  )
}

/** A contact's notes, newest first, and a box to add one. */
export function NotesPanel({ clientId, contactId, canEdit }: Props) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [body, setBody] = useState('')
  const query = useInfiniteQuery({
    ...paged,
    queryKey: crmKeys.notes(clientId, contactId),
    queryFn: ({ pageParam, signal }) => listNotes(clientId, contactId, pageParam, signal),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const add = useMutation({
    mutationFn: () => addNote(clientId, contactId, body.trim()),
    onSuccess: () => {
      notify('Note added')
      setBody('')
      void qc.invalidateQueries({ queryKey: crmKeys.notes(clientId, contactId) })
      void qc.invalidateQueries({ queryKey: crmKeys.timeline(clientId, contactId) })
    },
    onError: (e) => notifyError(notify, e),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (body.trim()) add.mutate()
  }
  return (
    <Card title="Notes">
      {canEdit && (
        <form onSubmit={submit} className="mb-4 space-y-2">
          <Textarea
            aria-label="New note"
            placeholder="What the team should know"
            value={body}
            onChange={(e) => setBody(e.target.value)}
            maxLength={4000}
          />
          <div className="flex justify-end">
            <Button type="submit" variant="secondary" pending={add.isPending} disabled={!body.trim()}>
              Add note
            </Button>
          </div>
        </form>
      )}
      <QueryState query={query} label="Loading notes…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0) return <p className="text-sm text-slate-600">No notes.</p>
          return (
            <>
              <ul aria-label="Notes" className="space-y-3">
                {items.map((n) => (
                  <li key={n.id} className="text-sm">
                    <p className="break-words whitespace-pre-wrap text-slate-800">{n.body}</p>
                    <p className="text-xs text-slate-500">{formatDateTime(n.createdAt)}</p>
                  </li>
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </Card>
  )
}
