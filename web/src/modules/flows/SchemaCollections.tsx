import { useContext, useId, useState } from 'react'
import { Button } from '../../ui/Button.tsx'
import { Input } from '../../ui/Input.tsx'
import { emptyValue } from './schema.ts'
import type { JsonSchema } from './schema.ts'
import { FormContext } from './schema-form-context.ts'
import type { FieldProps } from './schema-form-context.ts'
import { FieldRow } from './SchemaForm.tsx'

export function ArrayControl({ items, value, onChange, path }: Omit<FieldProps, 'schema'> & { items: JsonSchema }) {
  const { root, disabled } = useContext(FormContext)
  const list = Array.isArray(value) ? value : []
  return (
    <div className="space-y-2">
      {list.length === 0 && <p className="text-xs text-slate-500">None yet.</p>}
      <ol className="space-y-2">
        {list.map((item, i) => (
          <li key={i} className="rounded-md border border-slate-200 p-2">
            <ItemRow
              label={`Item ${i + 1}`}
              schema={items}
              value={item}
              path={[...path, i]}
              onChange={(v) => onChange(list.map((x, j) => (j === i ? v : x)))}
              onRemove={() => onChange(list.filter((_, j) => j !== i))}
            />
          </li>
        ))}
      </ol>
      <Button
        variant="secondary"
        className="py-1"
        disabled={disabled}
        onClick={() => onChange([...list, emptyValue(items, root)])}
      >
        Add item
      </Button>
    </div>
  )
}

export function RecordControl({
  valueSchema,
  value,
  onChange,
  path,
}: Omit<FieldProps, 'schema'> & { valueSchema: JsonSchema }) {
  const { root, disabled } = useContext(FormContext)
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  const entries = Object.entries(obj)
  const [newKey, setNewKey] = useState('')
  const id = useId()
  const add = () => {
    const key = newKey.trim()
    if (!key || key in obj) return
    onChange({ ...obj, [key]: emptyValue(valueSchema, root) })
    setNewKey('')
  }
  return (
    <div className="space-y-2">
      <ul className="space-y-2">
        {entries.map(([k, v]) => (
          <li key={k} className="rounded-md border border-slate-200 p-2">
            <ItemRow
              label={k}
              schema={valueSchema}
              value={v}
              path={[...path, k]}
              onChange={(nv) => onChange({ ...obj, [k]: nv })}
              onRemove={() => onChange(Object.fromEntries(entries.filter(([key]) => key !== k)))}
            />
          </li>
        ))}
      </ul>
      <div className="flex gap-2">
        <label htmlFor={id} className="sr-only">
          New key
        </label>
        <Input
          id={id}
          disabled={disabled}
          placeholder="New key"
          value={newKey}
          onChange={(e) => setNewKey(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              add()
            }
          }}
        />
        <Button variant="secondary" className="py-1" disabled={disabled || !newKey.trim()} onClick={add}>
          Add
        </Button>
      </div>
    </div>
  )
}

function ItemRow({ label, onRemove, ...field }: FieldProps & { label: string; onRemove: () => void }) {
  const { disabled } = useContext(FormContext)
  return (
    <div className="flex items-start gap-2">
      <div className="min-w-0 flex-1">
        <FieldRow name={label} label={label} required {...field} />
      </div>
      <button
        type="button"
        disabled={disabled}
        onClick={onRemove}
        className="shrink-0 rounded px-1.5 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60"
      >
        Remove<span className="sr-only"> {label}</span>
      </button>
    </div>
  )
}
