import { isHttpUrl } from '../../lib/form-errors.ts'
import type { FieldErrors } from '../../lib/form-errors.ts'
import { Field } from '../../ui/Field.tsx'
import { Input, Textarea } from '../../ui/Input.tsx'

export const CLIENT_FIELDS = ['name', 'website', 'notes'] as const
export type ClientValues = { name: string; website: string; notes: string }
export type ClientErrors = FieldErrors<(typeof CLIENT_FIELDS)[number]>
export const EMPTY_CLIENT: ClientValues = { name: '', website: '', notes: '' }

export const validateClient = (v: ClientValues): ClientErrors => {
  const errors: ClientErrors = {}
  if (!v.name.trim()) errors.name = 'Enter the client’s name.'
  else if (v.name.trim().length > 120) errors.name = 'Use at most 120 characters.'
  if (v.website.trim() && !isHttpUrl(v.website.trim()))
    errors.website = 'Enter a full address starting with http:// or https://.'
  if (v.notes.length > 5000) errors.notes = 'Keep notes under 5,000 characters.'
  return errors
}

type Props = { values: ClientValues; onChange: (v: ClientValues) => void; errors: ClientErrors }

/** "Client name", "Website" and "Notes" inputs shared by the create and edit forms. */
export function ClientFields({ values, onChange, errors }: Props) {
  const set = (key: keyof ClientValues) => (e: { target: { value: string } }) =>
    onChange({ ...values, [key]: e.target.value })
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <Field label="Client name" error={errors.name}>
        {(p) => <Input {...p} value={values.name} onChange={set('name')} maxLength={120} required />}
      </Field>
      <Field label="Website" hint="Optional, e.g. https://example.com" error={errors.website}>
        {(p) => (
          <Input
            {...p}
            type="url"
            inputMode="url"
            placeholder="https://"
            value={values.website}
            onChange={set('website')}
            maxLength={500}
          />
        )}
      </Field>
      <Field label="Notes" hint="Optional." error={errors.notes} className="sm:col-span-2">
        {(p) => <Textarea {...p} value={values.notes} onChange={set('notes')} maxLength={5000} rows={3} />}
      </Field>
    </div>
  )
}
