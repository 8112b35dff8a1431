import { Link } from 'react-router'
import { useCurrentClient } from '../modules/clients/index.ts'
import { Field } from '../ui/Field.tsx'
import { Select } from '../ui/Input.tsx'
import { canEdit } from '../lib/roles.ts'
import { useWorkspace } from './workspace.tsx'

export function ClientSwitcher() {
  const { role } = useWorkspace()
  const { query, clients, client, selectClient } = useCurrentClient()
  const empty = query.isSuccess && clients.length === 0
  const hint = query.isError ? (
    'Could not load clients.'
  ) : empty ? (
    canEdit(role) ? (
      <Link to="/app/clients" className="text-indigo-700 hover:underline">
        Add your first client
      </Link>
    ) : (
      'No clients yet.'
    )
  ) : undefined
  return (
    <Field label="Client" hint={hint}>
      {(p) => (
        <Select {...p} value={client?.id ?? ''} disabled={!client} onChange={(e) => selectClient(e.target.value)}>
          {query.isPending && <option value="">Loading…</option>}
          {!query.isPending && !client && <option value="">No clients</option>}
          {clients.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </Select>
      )}
    </Field>
  )
}
