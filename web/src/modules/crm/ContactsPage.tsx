import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit, canManage } from '../../lib/roles.ts'
import { useDebouncedState } from '../../lib/use-debounced.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button, ButtonLink } from '../../ui/Button.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useMembers } from './members.ts'
import { crmKeys, listContacts } from './api.ts'
import type { Contact, ContactFilters, ContactView } from './api.ts'
import { ClientGate } from './ClientGate.tsx'
import { ContactFormDialog } from './ContactForm.tsx'
import { ContactViews } from './ContactViews.tsx'
import { CrmSettingsDialog } from './CrmSettingsDialog.tsx'
import { contactPath, formatMoney } from './format.ts'
import { ExportButton } from './ExportButton.tsx'
import { Icon } from './icons.tsx'

/** /app/crm/contacts: the client's contacts, searched and filtered, paged with "Load more". */
export function ContactsPage() {
  return <ClientGate title="Contacts">{(c) => <ClientContacts clientId={c.id} clientName={c.name} />}</ClientGate>
}

function ClientContacts({ clientId, clientName }: { clientId: string; clientName: string }) {
  const role = useWorkspace().role
  const editor = canEdit(role)
  const { members, byId } = useMembers()
  // Typed filters reach the list once typing stops; a view's reach it with the rest of the view, at once.
  const { value: search, set: setSearch, debounced: typedSearch, setNow: setSearchNow } = useDebouncedState('')
  const { value: tag, set: setTag, debounced: typedTag, setNow: setTagNow } = useDebouncedState('')
  const [owner, setOwner] = useState('')
  const [archived, setArchived] = useState<ContactFilters['archived']>('exclude')
  const [creating, setCreating] = useState(false)
  const [settingsOpen, setSettingsOpen] = useState(false)
  const [viewId, setViewId] = useState('')
  /** A view chosen: its filters fill the search fields (changing them afterwards leaves the view's name shown). */
  const applyView = (v: ContactView | null) => {
    setViewId(v?.id ?? '')
    const f = v?.filters
    setSearchNow(f?.q ?? '')
    setTagNow(f?.tag ?? '')
    setOwner(f?.owner ?? '')
    setArchived(f?.archived ?? 'exclude')
  }
  // What is typed counts at once for a view (the list itself waits for the debounce).
  const current: ContactFilters = {
    q: search.trim() || undefined,
    tag: tag.trim() || undefined,
    owner: owner || undefined,
    archived,
  }
  const q = typedSearch.trim()
  const t = typedTag.trim()
  const filters: ContactFilters = { q: q || undefined, tag: t || undefined, owner: owner || undefined, archived }
  const query = useInfiniteQuery({
    queryKey: crmKeys.contactList(clientId, filters),
    queryFn: ({ pageParam, signal }) => listContacts(clientId, filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const filtered = !!(q || t || owner || archived !== 'exclude')
  return (
    <>
      <PageHeader
        title="Contacts"
        description={
          <>
            The customers of <strong className="font-semibold text-slate-900">{clientName}</strong>.
          </>
        }
        actions={
          <>
            {canManage(role) && (
              <Button variant="secondary" onClick={() => setSettingsOpen(true)}>
                CRM settings
              </Button>
            )}
            <ExportButton
              clientId={clientId}
              path="/api/crm/contacts/export.csv"
              filters={{ q: filters.q, tag: filters.tag, owner: filters.owner, archived }}
            />
            {editor && (
              <ButtonLink variant="secondary" to="/app/crm/imports/new">
                Import leads
              </ButtonLink>
            )}
            {editor && (
              <Button onClick={() => setCreating(true)}>
                <Icon name="plus" />
                New contact
              </Button>
            )}
          </>
        }
      />
      <ContactViews clientId={clientId} filters={current} selectedId={viewId} editor={editor} onSelect={applyView} />
      <div role="search" className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Field label="Search">
          {(p) => (
            <Input
              {...p}
              type="search"
              placeholder="Name, phone or email"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          )}
        </Field>
        <Field label="Tag">
          {(p) => <Input {...p} placeholder="e.g. vip" value={tag} onChange={(e) => setTag(e.target.value)} />}
        </Field>
        <Field label="Owner">
          {(p) => (
            <Select {...p} value={owner} onChange={(e) => setOwner(e.target.value)}>
              <option value="">Anyone</option>
              {members.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Archived">
          {(p) => (
            <Select {...p} value={archived} onChange={(e) => setArchived(e.target.value as ContactFilters['archived'])}>
              <option value="exclude">Hide archived</option>
              <option value="include">Show archived too</option>
              <option value="only">Archived only</option>
            </Select>
          )}
        </Field>
      </div>
      <QueryState query={query} label="Loading contacts…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return filtered ? (
              <EmptyState title="No contact matches these filters" />
            ) : (
              <EmptyState
                title="No contacts yet"
                action={editor && <Button onClick={() => setCreating(true)}>New contact</Button>}
              >
                Contacts appear here when customers write on WhatsApp, or add one yourself.
              </EmptyState>
            )
          return (
            <>
              <ul
                aria-label="Contacts"
                className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
              >
                {items.map((c) => (
                  <ContactRow key={c.id} contact={c} ownerName={c.ownerId ? byId.get(c.ownerId)?.name : undefined} />
                ))}
              </ul>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
      <ContactFormDialog clientId={clientId} open={creating} onClose={() => setCreating(false)} />
      <CrmSettingsDialog clientId={clientId} open={settingsOpen} onClose={() => setSettingsOpen(false)} />
    </>
  )
}

function ContactRow({ contact: c, ownerName }: { contact: Contact; ownerName: string | undefined }) {
  return (
    <li data-testid="contact-row" className="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3">
      <div className="min-w-0 flex-1">
        <Link to={contactPath(c.id)} className="font-medium text-indigo-700 hover:underline">
          {c.name}
        </Link>
        <p className="truncate text-sm text-slate-600">
          {[...c.phones, ...c.emails].join(' · ') || 'No phone or email'}
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-1">
        {c.archived && <Badge tone="amber">Archived</Badge>}
        {c.tags.map((t) => (
          <Badge key={t} tone="indigo">
            {t}
          </Badge>
        ))}
      </div>
      <div className="text-sm text-slate-600 sm:w-48 sm:text-right">
        {c.profile.bookingsCount} {c.profile.bookingsCount === 1 ? 'booking' : 'bookings'}
        {c.profile.spend.map((s) => (
          <span key={s.currency}> · {formatMoney(s.amountMinor, s.currency)}</span>
        ))}
        {ownerName && <p className="text-xs text-slate-500">Owner: {ownerName}</p>}
      </div>
    </li>
  )
}
