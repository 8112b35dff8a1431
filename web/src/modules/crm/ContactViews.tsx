import { notifyError } from '../../lib/error-toast.ts'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { errorMessage } from '../../lib/api.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { createView, crmKeys, deleteView, listViews, patchView, viewFilters } from './api.ts'
import type { ContactFilters, ContactView } from './api.ts'

type Editing = { kind: 'save' } | { kind: 'edit'; view: ContactView } | { kind: 'delete'; view: ContactView }

/**
 * The saved views above the contacts list: choosing one applies its filters; a member saves the current filters under
 * a name (private, or shared with the client's members), and renames, shares, updates or deletes their own views.
 */
export function ContactViews({
  clientId,
  filters,
  selectedId,
  editor,
  onSelect,
}: {
  clientId: string
  filters: ContactFilters
  selectedId: string
  editor: boolean
  /** A view chosen (its filters to apply), or none ('' : the list without a view). */
  onSelect: (view: ContactView | null) => void
}) {
  const [editing, setEditing] = useState<Editing | null>(null)
  const query = useQuery({ queryKey: crmKeys.views(clientId), queryFn: ({ signal }) => listViews(clientId, signal) })
  const views = query.data?.items ?? []
  const mine = views.filter((v) => v.mine)
  const others = views.filter((v) => !v.mine)
  const selected = views.find((v) => v.id === selectedId)
  const close = () => setEditing(null)
  return (
    <section aria-label="Saved views" className="mb-3 flex flex-wrap items-end gap-2">
      <Field label="Saved view" className="min-w-56">
        {(p) => (
          <Select
            {...p}
            value={selected ? selected.id : ''}
            onChange={(e) => onSelect(views.find((v) => v.id === e.target.value) ?? null)}
            disabled={query.isPending}
          >
            <option value="">All contacts (no view)</option>
            {mine.length > 0 && (
              <optgroup label="Your views">
                {mine.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                    {v.shared ? ' (shared)' : ''}
                  </option>
                ))}
              </optgroup>
            )}
            {others.length > 0 && (
              <optgroup label="Shared with you">
                {others.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                  </option>
                ))}
              </optgroup>
            )}
          </Select>
        )}
      </Field>
      {editor && (
        <Button variant="secondary" onClick={() => setEditing({ kind: 'save' })}>
          Save view
        </Button>
      )}
      {editor && selected?.mine && (
        <>
          <Button variant="secondary" onClick={() => setEditing({ kind: 'edit', view: selected })}>
            Edit view
          </Button>
          <Button variant="ghost" onClick={() => setEditing({ kind: 'delete', view: selected })}>
            Delete view
          </Button>
        </>
      )}
      {query.isError && <p className="text-sm text-red-700">Saved views could not be loaded.</p>}
      <Dialog
        open={editing?.kind === 'save' || editing?.kind === 'edit'}
        title={editing?.kind === 'edit' ? 'Edit view' : 'Save view'}
        onClose={close}
      >
        {editing && editing.kind !== 'delete' && (
          <ViewForm
            clientId={clientId}
            filters={filters}
            view={editing.kind === 'edit' ? editing.view : undefined}
            onDone={(v) => {
              close()
              onSelect(v)
            }}
            onCancel={close}
          />
        )}
      </Dialog>
      <Dialog open={editing?.kind === 'delete'} title="Delete view" onClose={close}>
        {editing?.kind === 'delete' && (
          <DeleteView
            clientId={clientId}
            view={editing.view}
            onDone={() => {
              close()
              onSelect(null)
            }}
            onCancel={close}
          />
        )}
      </Dialog>
    </section>
  )
}

function ViewForm({
  clientId,
  filters,
  view,
  onDone,
  onCancel,
}: {
  clientId: string
  filters: ContactFilters
  view: ContactView | undefined
  onDone: (v: ContactView) => void
  onCancel: () => void
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [name, setName] = useState(view?.name ?? '')
  const [shared, setShared] = useState(view?.shared ?? false)
  const [replace, setReplace] = useState(!view)
  const [error, setError] = useState<string | null>(null)
  const save = useMutation({
    mutationFn: () =>
      view
        ? patchView(clientId, view.id, {
            name: name.trim(),
            shared,
            ...(replace ? { filters: viewFilters(filters) } : {}),
          })
        : createView(clientId, { name: name.trim(), shared, filters }),
    onSuccess: (v) => {
      // Shown chosen at once (the list is read again behind it).
      qc.setQueryData<{ items: ContactView[] }>(crmKeys.views(clientId), (old) => ({
        items: [...(old?.items ?? []).filter((x) => x.id !== v.id), v].sort((a, b) => a.name.localeCompare(b.name)),
      }))
      void qc.invalidateQueries({ queryKey: crmKeys.views(clientId) })
      notify(view ? `View “${v.name}” saved.` : `View “${v.name}” saved${v.shared ? ' and shared' : ''}.`)
      onDone(v)
    },
    // The dialog stays open on a refusal (a name taken): the message is shown in it, where it can be read.
    onError: (e) => {
      setError(errorMessage(e))
      notifyError(notify, e)
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setError('Give the view a name.')
    setError(null)
    save.mutate()
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <Field label="Name" error={error}>
        {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} maxLength={60} autoFocus />}
      </Field>
      <label className="flex items-start gap-2 text-sm text-slate-800">
        <input
          type="checkbox"
          className="mt-0.5 size-4 rounded border-slate-300"
          checked={shared}
          onChange={(e) => setShared(e.target.checked)}
        />
        <span>Share with the client’s members (they can use it; only you can change it)</span>
      </label>
      {view && (
        <label className="flex items-start gap-2 text-sm text-slate-800">
          <input
            type="checkbox"
            className="mt-0.5 size-4 rounded border-slate-300"
            checked={replace}
            onChange={(e) => setReplace(e.target.checked)}
          />
          <span>Keep the filters shown now instead of the view’s</span>
        </label>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" pending={save.isPending}>
          Save
        </Button>
      </div>
    </form>
  )
}

function DeleteView({
  clientId,
  view,
  onDone,
  onCancel,
}: {
  clientId: string
  view: ContactView
  onDone: () => void
  onCancel: () => void
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [error, setError] = useState<string | null>(null)
  const remove = useMutation({
    mutationFn: () => deleteView(clientId, view.id),
    onSuccess: () => {
      // Gone from the list at once, before the toast says so (the list is read again behind it).
      qc.setQueryData<{ items: ContactView[] }>(crmKeys.views(clientId), (old) =>
        old ? { ...old, items: old.items.filter((x) => x.id !== view.id) } : old,
      )
      void qc.invalidateQueries({ queryKey: crmKeys.views(clientId) })
      notify(`View “${view.name}” deleted.`)
      onDone()
    },
    onError: (e) => {
      setError(errorMessage(e))
      notifyError(notify, e)
    },
  })
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-700">
        Delete the view “{view.name}”? {view.shared ? 'The members it is shared with lose it too. ' : ''}No contact
        changes.
      </p>
      {error && <p className="text-sm text-red-700">{error}</p>}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate()}>
          Delete view
        </Button>
      </div>
    </div>
  )
}
