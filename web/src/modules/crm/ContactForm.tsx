import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { isApiError } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { useMembers } from './members.ts'
import { createContact, crmKeys, patchContact } from './api.ts'
import type { Contact } from './api.ts'
import { contactPath, splitList } from './format.ts'

/** A 409 duplicate names the contact that already has the phone or email: the toast links to it. */
const duplicateOf = (e: unknown) => {
  if (!isApiError(e, 'crm.duplicate_contact')) return null
  const d = (e.details ?? {}) as { existingId?: unknown }
  return typeof d.existingId === 'string' ? d.existingId : null
}

/** Create a contact (no `contact`) or change one: name, phones, emails, tags (comma-separated), owner. */
export function ContactFormDialog({
  clientId,
  contact,
  open,
  onClose,
  onSaved,
}: {
  clientId: string
  contact?: Contact
  open: boolean
  onClose: () => void
  onSaved?: (c: Contact) => void
}) {
  return (
    <Dialog open={open} title={contact ? 'Edit contact' : 'New contact'} onClose={onClose}>
      <ContactForm clientId={clientId} contact={contact} onClose={onClose} onSaved={onSaved} />
    </Dialog>
  )
}

function ContactForm({
  clientId,
  contact,
  onClose,
  onSaved,
}: {
  clientId: string
  contact: Contact | undefined
  onClose: () => void
  onSaved: ((c: Contact) => void) | undefined
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const { members } = useMembers()
  const [name, setName] = useState(contact?.name ?? '')
  const [phones, setPhones] = useState(contact?.phones.join(', ') ?? '')
  const [emails, setEmails] = useState(contact?.emails.join(', ') ?? '')
  const [tags, setTags] = useState(contact?.tags.join(', ') ?? '')
  const [owner, setOwner] = useState(contact?.ownerId ?? '')
  const [error, setError] = useState<string | null>(null)
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        phones: splitList(phones),
        emails: splitList(emails),
        tags: splitList(tags),
        ownerId: owner || null,
      }
      return contact ? patchContact(clientId, contact.id, body) : createContact(clientId, body)
    },
    onSuccess: (saved) => {
      notify(contact ? 'Contact saved' : `Contact ${saved.name} created`, 'success', {
        to: contactPath(saved.id),
        label: 'Open',
      })
      void qc.invalidateQueries({ queryKey: crmKeys.contacts(clientId) })
      onSaved?.(saved)
      onClose()
    },
    onError: (e) => {
      setError(isApiError(e) ? e.message : null)
      const existing = duplicateOf(e)
      if (existing) notify(e.message, 'error', { to: contactPath(existing), label: 'Open the existing contact' })
      else notifyError(notify, e)
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    if (!name.trim()) return setError('A contact needs a name.')
    save.mutate()
  }
  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      <Field label="Name">
        {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus maxLength={200} />}
      </Field>
      <Field label="Phones" hint="Comma-separated; +40 712 345 678, or a local number in the client's country.">
        {(p) => <Input {...p} value={phones} onChange={(e) => setPhones(e.target.value)} inputMode="tel" />}
      </Field>
      <Field label="Emails" hint="Comma-separated.">
        {(p) => <Input {...p} value={emails} onChange={(e) => setEmails(e.target.value)} inputMode="email" />}
      </Field>
      <Field label="Tags" hint="Comma-separated, e.g. vip, birthday.">
        {(p) => <Input {...p} value={tags} onChange={(e) => setTags(e.target.value)} />}
      </Field>
      <Field label="Owner">
        {(p) => (
          <Select {...p} value={owner} onChange={(e) => setOwner(e.target.value)}>
            <option value="">Nobody</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name}
              </option>
            ))}
          </Select>
        )}
      </Field>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2 pt-2">
        <Button variant="secondary" onClick={onClose} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="submit" pending={save.isPending}>
          {contact ? 'Save' : 'Create contact'}
        </Button>
      </div>
    </form>
  )
}
