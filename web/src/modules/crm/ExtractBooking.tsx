import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Link } from 'react-router'
import { notifyError } from '../../lib/error-toast.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { Sheet } from '../../ui/Dialog.tsx'
import { createBooking, crmKeys, extractBooking, listThreadMessages } from './api.ts'
import type { BookingDraft, BookingStatus } from './api.ts'
import { STATUS_LABELS } from './BookingItem.tsx'
import { amountText, contactPath, parseAmount, splitList } from './format.ts'
import { Icon } from './icons.tsx'

/**
 * "Extract booking" in a conversation's header: the AI reads the conversation into a draft (metered, writes nothing),
 * shown in a drawer to check and edit; "Save booking" creates a booking each time it is pressed.
 */
export function ExtractBookingButton({ clientId, threadId }: { clientId: string; threadId: string }) {
  const { notify } = useToast()
  const [draft, setDraft] = useState<BookingDraft | null>(null)
  const extract = useMutation({
    mutationFn: () => extractBooking(clientId, threadId),
    onSuccess: (d) => {
      setDraft(d)
      notify('Draft booking ready: check it, then save')
    },
    onError: (e) => notifyError(notify, e),
  })
  return (
    <>
      <Button variant="secondary" className="py-1.5" pending={extract.isPending} onClick={() => extract.mutate()}>
        {!extract.isPending && <Icon name="sparkles" />}
        <span className="max-sm:sr-only">Extract booking</span>
      </Button>
      <Sheet width="md" open={draft !== null} title="Draft booking" onClose={() => setDraft(null)}>
        {draft && <DraftForm key={draft.extractionId} clientId={clientId} draft={draft} />}
      </Sheet>
    </>
  )
}

type Form = {
  date: string
  time: string
  timeZone: string
  location: string
  items: string
  amount: string
  currency: string
  notes: string
  status: BookingStatus
}

const formOf = (d: BookingDraft): Form => {
  const f = d.fields
  const currency = f.amount.value?.currency ?? 'EUR'
  return {
    date: f.date.value ?? '',
    time: f.time.value ?? '',
    timeZone: f.timeZone.value ?? '',
    location: f.location.value ?? '',
    items: f.items.value?.join(', ') ?? '',
    amount: f.amount.value ? amountText(f.amount.value.minor, currency) : '',
    currency: f.amount.value ? currency : '',
    notes: f.notes.value ?? '',
    status: 'confirmed',
  }
}

/** Text of a message, when it has any. */
const textOf = (content: Record<string, unknown>) => (typeof content.text === 'string' ? content.text : null)

function DraftForm({ clientId, draft }: { clientId: string; draft: BookingDraft }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [form, setForm] = useState<Form>(() => formOf(draft))
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(0)
  const [savedFor, setSavedFor] = useState<string | null>(null)
  const messages = useQuery({
    queryKey: ['crm', clientId, 'draft-messages', draft.threadId],
    queryFn: ({ signal }) => listThreadMessages(clientId, draft.threadId, signal),
    staleTime: 30_000,
  })
  const quote = (id: string | null) => {
    if (!id) return null
    const m = messages.data?.items.find((x) => x.id === id)
    const text = m ? textOf(m.content) : null
    return text ?? 'a message of this conversation'
  }
  const set = (k: keyof Form) => (value: string) => setForm((f) => ({ ...f, [k]: value }))
  const save = useMutation({
    mutationFn: (body: Parameters<typeof createBooking>[1]) => createBooking(clientId, body),
    onSuccess: (b) => {
      setSaved((n) => n + 1)
      setSavedFor(b.contactId)
      notify('Booking saved', 'success', { to: contactPath(b.contactId), label: 'Open the contact' })
      void qc.invalidateQueries({ queryKey: crmKeys.all(clientId) })
    },
    onError: (e) => notifyError(notify, e),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    if (!draft.contactId)
      return setError('This conversation has no CRM contact yet, so the booking has no one to go to.')
    if (!form.date) return setError('A booking needs a date.')
    if (!form.timeZone.trim()) return setError('A booking needs a time zone (e.g. Europe/Bucharest).')
    const currency = form.currency.trim().toUpperCase()
    let amount: { minor: number; currency: string } | null = null
    if (form.amount.trim()) {
      if (!/^[A-Z]{3}$/.test(currency)) return setError('Give the amount a currency code like RON or EUR.')
      const minor = parseAmount(form.amount, currency)
      if (minor === null) return setError('The amount should be a number like 800 or 800.50.')
      amount = { minor, currency }
    }
    const messageIds = draft.messageIds.slice(-50)
    save.mutate({
      contactId: draft.contactId,
      date: form.date,
      time: form.time || null,
      timeZone: form.timeZone.trim(),
      location: form.location.trim() || null,
      items: splitList(form.items),
      amount,
      status: form.status,
      notes: form.notes.trim() || null,
      source: messageIds.length ? { threadId: draft.threadId, messageIds } : null,
    })
  }
  const f = draft.fields
  const from = (id: string | null, text = 'not found in the conversation') =>
    id ? <>From: “{quote(id)}”</> : <span className="italic">{text}</span>
  return (
    <form onSubmit={submit} className="space-y-3" noValidate aria-label="Draft booking">
      <p className="text-sm text-slate-600">
        Read from the conversation by AI. Check every field: empty ones were not in the messages.
      </p>
      {draft.demo && (
        <p>
          <Badge tone="amber">Demo data</Badge> <span className="text-xs text-slate-500">offline model</span>
        </p>
      )}
      <div className="grid grid-cols-2 gap-3">
        <Field label="Date" hint={from(f.date.sourceMessageId)}>
          {(p) => <Input {...p} type="date" value={form.date} onChange={(e) => set('date')(e.target.value)} />}
        </Field>
        <Field label="Time" hint={from(f.time.sourceMessageId)}>
          {(p) => <Input {...p} type="time" value={form.time} onChange={(e) => set('time')(e.target.value)} />}
        </Field>
      </div>
      <Field
        label="Time zone"
        hint={from(f.timeZone.sourceMessageId, f.timeZone.value ? "the client's time zone" : 'not found')}
      >
        {(p) => <Input {...p} value={form.timeZone} onChange={(e) => set('timeZone')(e.target.value)} />}
      </Field>
      <Field label="Location" hint={from(f.location.sourceMessageId)}>
        {(p) => <Input {...p} value={form.location} onChange={(e) => set('location')(e.target.value)} />}
      </Field>
      <Field label="Items" hint={<>Comma-separated. {from(f.items.sourceMessageId)}</>}>
        {(p) => <Input {...p} value={form.items} onChange={(e) => set('items')(e.target.value)} />}
      </Field>
      <div className="grid grid-cols-[2fr_1fr] gap-3">
        <Field label="Amount" hint={from(f.amount.sourceMessageId)}>
          {(p) => (
            <Input {...p} inputMode="decimal" value={form.amount} onChange={(e) => set('amount')(e.target.value)} />
          )}
        </Field>
        <Field label="Currency">
          {(p) => (
            <Input
              {...p}
              value={form.currency}
              maxLength={3}
              placeholder="RON"
              onChange={(e) => set('currency')(e.target.value.toUpperCase())}
            />
          )}
        </Field>
      </div>
      <Field label="Notes" hint={from(f.notes.sourceMessageId)}>
        {(p) => <Textarea {...p} value={form.notes} onChange={(e) => set('notes')(e.target.value)} />}
      </Field>
      <Field label="Status">
        {(p) => (
          <Select {...p} value={form.status} onChange={(e) => set('status')(e.target.value)}>
            {(Object.keys(STATUS_LABELS) as BookingStatus[]).map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
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
      <div className="flex flex-wrap items-center justify-end gap-3 pt-2">
        {saved > 0 && (
          <span role="status" className="text-sm text-slate-600">
            Saved {saved === 1 ? 'once' : `${saved} times`}: saving again adds another booking.
            {savedFor && (
              <>
                {' '}
                {/* The drawer is modal: the toast's own link cannot be reached while it is open. */}
                <Link to={contactPath(savedFor)} className="font-medium text-indigo-700 underline">
                  Open the contact
                </Link>
              </>
            )}
          </span>
        )}
        <Button type="submit" pending={save.isPending}>
          Save booking
        </Button>
      </div>
    </form>
  )
}
