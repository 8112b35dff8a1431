import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { isApiError } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { formatDateTime } from '../../lib/format.ts'
import { canEdit } from '../../lib/roles.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { useMembers } from './members.ts'
import { ContactConsent } from './ContactConsent.tsx'
import { crmKeys, getContact, setArchived } from './api.ts'
import type { Contact } from './api.ts'
import { AskAi } from './AskAi.tsx'
import { ClientGate } from './ClientGate.tsx'
import { ContactBookings } from './ContactBookings.tsx'
import { ContactFormDialog } from './ContactForm.tsx'
import { formatDay, formatMoney } from './format.ts'
import { Icon } from './icons.tsx'
import { NotesPanel, TasksPanel } from './NotesTasks.tsx'
import { Timeline } from './Timeline.tsx'

/** /app/crm/contacts/:id: who they are, what they booked and spent, what happened, and questions to the AI. */
export function ContactPage() {
  const { id = '' } = useParams()
  return <ClientGate title="Contact">{(c) => <ClientContact clientId={c.id} contactId={id} />}</ClientGate>
}

function ClientContact({ clientId, contactId }: { clientId: string; contactId: string }) {
  const query = useQuery({
    queryKey: crmKeys.contact(clientId, contactId),
    queryFn: ({ signal }) => getContact(clientId, contactId, signal),
    retry: (n, e) => !isApiError(e) || (e.status >= 500 && n < 2),
  })
  return (
    <>
      <Link
        to="/app/crm/contacts"
        className="mb-3 inline-flex items-center gap-1 text-sm text-indigo-700 hover:underline"
      >
        <Icon name="chevronLeft" />
        Contacts
      </Link>
      <QueryState query={query} label="Loading the contact…">
        {(contact) => <ContactView clientId={clientId} contact={contact} />}
      </QueryState>
    </>
  )
}

function ContactView({ clientId, contact }: { clientId: string; contact: Contact }) {
  const editor = canEdit(useWorkspace().role)
  const { byId } = useMembers()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [editing, setEditing] = useState(false)
  const archive = useMutation({
    mutationFn: () => setArchived(clientId, contact.id, !contact.archived),
    onSuccess: (c) => {
      notify(c.archived ? 'Contact archived' : 'Contact restored')
      qc.setQueryData(crmKeys.contact(clientId, c.id), c)
      void qc.invalidateQueries({ queryKey: crmKeys.contacts(clientId) })
    },
    onError: (e) => notifyError(notify, e),
  })
  const owner = contact.ownerId ? (byId.get(contact.ownerId)?.name ?? 'A member') : null
  return (
    <>
      <header className="mb-5 flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight break-words text-slate-900">{contact.name}</h1>
          <p className="mt-1 text-sm break-words text-slate-600">
            {[...contact.phones, ...contact.emails].join(' · ') || 'No phone or email'}
          </p>
          <div className="mt-2 flex flex-wrap items-center gap-1">
            {contact.archived && <Badge tone="amber">Archived</Badge>}
            {contact.erased && <Badge tone="red">Erased</Badge>}
            <ContactConsent clientId={clientId} contactId={contact.id} />
            {contact.tags.map((t) => (
              <Badge key={t} tone="indigo">
                {t}
              </Badge>
            ))}
            <span className="text-xs text-slate-500">{owner ? `Owner: ${owner}` : 'No owner'}</span>
          </div>
        </div>
        {editor && !contact.erased && (
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => setEditing(true)}>
              <Icon name="edit" />
              Edit
            </Button>
            <Button variant="secondary" pending={archive.isPending} onClick={() => archive.mutate()}>
              <Icon name="archive" />
              {contact.archived ? 'Unarchive' : 'Archive'}
            </Button>
          </div>
        )}
      </header>
      <Kpis contact={contact} />
      <div className="mt-6 grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="min-w-0 space-y-6">
          <ContactBookings clientId={clientId} contactId={contact.id} />
          <Timeline clientId={clientId} contactId={contact.id} />
        </div>
        <div className="min-w-0 space-y-6">
          <AskAi clientId={clientId} contact={contact} />
          <TasksPanel clientId={clientId} contactId={contact.id} canEdit={editor} />
          <NotesPanel clientId={clientId} contactId={contact.id} canEdit={editor} />
        </div>
      </div>
      <ContactFormDialog
        clientId={clientId}
        contact={contact}
        open={editing}
        onClose={() => setEditing(false)}
        onSaved={(c) => qc.setQueryData(crmKeys.contact(clientId, c.id), c)}
      />
    </>
  )
}

function Kpis({ contact }: { contact: Contact }) {
  const p = contact.profile
  const tiles = [
    { label: 'Bookings', value: String(p.bookingsCount), testId: 'kpi-bookings' },
    {
      label: 'Lifetime spend',
      value: p.spend.length ? p.spend.map((s) => formatMoney(s.amountMinor, s.currency)).join(' · ') : '—',
      testId: 'kpi-spend',
    },
    { label: 'First booking', value: formatDay(p.firstBookingDate), testId: 'kpi-first' },
    { label: 'Last booking', value: formatDay(p.lastBookingDate), testId: 'kpi-last' },
    { label: 'Last contact', value: formatDateTime(p.lastContactAt), testId: 'kpi-last-contact' },
  ]
  return (
    <dl aria-label="Profile" className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      {tiles.map((t) => (
        <div key={t.label} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm" data-testid={t.testId}>
          <dt className="text-xs font-medium text-slate-500">{t.label}</dt>
          <dd className="mt-1 text-lg font-semibold break-words text-slate-900">{t.value}</dd>
        </div>
      ))}
    </dl>
  )
}
