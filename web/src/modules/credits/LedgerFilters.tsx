import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { ENTRY_KINDS, NO_FILTERS } from './api.ts'
import type { EntryKind, LedgerFilters as Filters } from './api.ts'
import { KIND_LABEL } from './badges.ts'
import type { Names } from './queries.ts'

type Props = { value: Filters; onChange: (next: Filters) => void; names: Names }

/** Kind, request id, client, member (admins) and a date range; dates are whole local days. */
export function LedgerFilters({ value, onChange, names }: Props) {
  const { role } = useWorkspace()
  const set = <K extends keyof Filters>(key: K, v: Filters[K]) => onChange({ ...value, [key]: v })
  const active = Object.entries(value).some(([, v]) => v !== '')
  const rangeError = value.from && value.to && value.from > value.to ? '“To” is before “From”.' : null
  return (
    <div role="search" aria-label="Filter the ledger" className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
      <Field label="Kind">
        {(p) => (
          <Select {...p} value={value.kind} onChange={(e) => set('kind', e.target.value as EntryKind | '')}>
            <option value="">All kinds</option>
            {ENTRY_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Request id">
        {(p) => (
          <Input
            {...p}
            type="search"
            value={value.requestId}
            maxLength={200}
            placeholder="Exact request id"
            onChange={(e) => set('requestId', e.target.value)}
          />
        )}
      </Field>
      <Field label="Client">
        {(p) => (
          <Select {...p} value={value.clientId} onChange={(e) => set('clientId', e.target.value)}>
            <option value="">All clients</option>
            {names.clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.archivedAt ? ' (archived)' : ''}
              </option>
            ))}
          </Select>
        )}
      </Field>
      {canManage(role) && (
        <Field label="Member">
          {(p) => (
            <Select {...p} value={value.userId} onChange={(e) => set('userId', e.target.value)}>
              <option value="">Everyone</option>
              {names.members.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
      )}
      <Field label="From">
        {(p) => (
          <Input
            {...p}
            type="date"
            value={value.from}
            max={value.to || undefined}
            onChange={(e) => set('from', e.target.value)}
          />
        )}
      </Field>
      <Field label="To" error={rangeError}>
        {(p) => (
          <Input
            {...p}
            type="date"
            value={value.to}
            min={value.from || undefined}
            onChange={(e) => set('to', e.target.value)}
          />
        )}
      </Field>
      {active && (
        <div className="sm:col-span-2 lg:col-span-3">
          <Button variant="ghost" className="-ml-3" onClick={() => onChange(NO_FILTERS)}>
            Clear filters
          </Button>
        </div>
      )}
    </div>
  )
}
