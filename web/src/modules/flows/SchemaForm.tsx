import { useContext, useId } from 'react'
import type { CredentialDto } from '../../../../contracts/flows.ts'
import { Button } from '../../ui/Button.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { classify, emptyValue, humanize, issueKey, parseScalar, resolve } from './schema.ts'
import type { JsonSchema } from './schema.ts'
import { FormContext } from './schema-form-context.ts'
import type { A11y, Ctx, FieldProps, NumberOption } from './schema-form-context.ts'
import { ArrayControl, RecordControl } from './SchemaCollections.tsx'
import { ExprControl, JsonControl, ParsedInput, VariantControl } from './SchemaInputs.tsx'

type Props = {
  schema: JsonSchema
  value: Record<string, unknown>
  onChange: (value: Record<string, unknown>) => void
  issues: { path: (string | number)[]; message: string }[]
  disabled?: boolean
  credentials?: CredentialDto[] | null
  channels?: NumberOption[] | null
}

/**
 * A node's config form, generated from its JSON Schema: strings, numbers, booleans, enums, objects, records, arrays,
 * tagged unions, and an "fx" toggle on fields that also take an expression `{ "$expr": "…" }`. Anything else is
 * edited as JSON. Validation issues show under the field they name.
 */
export function SchemaForm({
  schema,
  value,
  onChange,
  issues,
  disabled = false,
  credentials = null,
  channels = null,
}: Props) {
  const ctx: Ctx = {
    root: schema,
    disabled,
    issues: new Map(issues.map((i) => [issueKey(i.path), i.message])),
    credentials,
    channels,
  }
  const s = resolve(schema, schema)
  if (!s.properties || Object.keys(s.properties).length === 0)
    return <p className="text-sm text-slate-600">This node has no settings.</p>
  return (
    <FormContext.Provider value={ctx}>
      <ObjectFields schema={s} value={value} onChange={(v) => onChange(v as Record<string, unknown>)} path={[]} />
    </FormContext.Provider>
  )
}

export function ObjectFields({ schema, value, onChange, path }: FieldProps) {
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  const required = new Set(schema.required ?? [])
  return (
    <div className="space-y-4">
      {Object.entries(schema.properties ?? {}).map(([key, prop]) => (
        <FieldRow
          key={key}
          name={key}
          required={required.has(key)}
          schema={prop}
          value={obj[key]}
          path={[...path, key]}
          onChange={(v) => {
            const next = { ...obj }
            if (v === undefined) delete next[key]
            else next[key] = v
            onChange(next)
          }}
        />
      ))}
    </div>
  )
}

export function FieldRow({
  name,
  label: fixedLabel,
  required,
  ...field
}: FieldProps & { name: string; label?: string; required: boolean }) {
  const { root, issues } = useContext(FormContext)
  const id = useId()
  const s = resolve(field.schema, root)
  const kind = classify(s, root)
  const error = issues.get(field.path.join('.'))
  // A field with a default always has a value: only a field that may stay empty is marked optional.
  const optional = !required && s.default === undefined
  const label = fixedLabel ?? `${s.title ?? humanize(name)}${optional ? ' (optional)' : ''}`
  const describedBy = [s.description ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  const a11y = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy || undefined }
  const grouped = kind.kind === 'object' || kind.kind === 'array' || kind.kind === 'record' || kind.kind === 'variants'
  const labelEl = grouped ? (
    <legend className="text-sm font-medium text-slate-800">{label}</legend>
  ) : kind.kind === 'boolean' ? null : (
    <label htmlFor={id} className="block text-sm font-medium text-slate-800">
      {label}
    </label>
  )
  const { disabled } = useContext(FormContext)
  // An optional group (a retry policy) stays closed until asked for: its own required fields would be errors.
  if (kind.kind === 'object' && !required && field.value === undefined)
    return (
      <div className="space-y-1">
        <Button
          variant="secondary"
          className="py-1"
          disabled={disabled}
          onClick={() => field.onChange(emptyValue(s, root))}
        >
          Set {label.replace(/ \(optional\)$/, '').toLowerCase()}
        </Button>
        {s.description && <p className="text-xs text-slate-500">{s.description}</p>}
      </div>
    )
  const body = (
    <>
      {labelEl}
      {kind.kind === 'object' && !required && (
        <button
          type="button"
          disabled={disabled}
          onClick={() => field.onChange(undefined)}
          className="rounded px-1.5 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60"
        >
          Remove<span className="sr-only"> {label}</span>
        </button>
      )}
      {kind.kind === 'boolean' ? (
        <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
          <Control {...field} a11y={a11y} name={name} label={label} />
          {label}
        </label>
      ) : (
        <Control {...field} a11y={a11y} name={name} label={label} />
      )}
      {s.description && (
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {s.description}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700">
          {error}
        </p>
      )}
    </>
  )
  return grouped ? (
    <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">{body}</fieldset>
  ) : (
    <div className="space-y-1">{body}</div>
  )
}

/** The editor for one value, by the kind of its schema. */
export function Control({
  schema,
  value,
  onChange,
  path,
  a11y,
  name,
  label = humanize(name),
}: FieldProps & { a11y: A11y; name: string; label?: string }) {
  const { root, disabled, credentials, channels } = useContext(FormContext)
  const kind = classify(schema, root)
  const s = resolve(schema, root)
  switch (kind.kind) {
    case 'expr':
      return (
        <ExprControl
          literal={kind.literal}
          value={value}
          onChange={onChange}
          path={path}
          a11y={a11y}
          name={name}
          label={label}
        />
      )
    case 'nullable':
      return (
        <Control
          schema={kind.inner}
          value={value ?? undefined}
          onChange={onChange}
          path={path}
          a11y={a11y}
          name={name}
          label={label}
        />
      )
    case 'enum':
      return (
        <Select
          {...a11y}
          disabled={disabled}
          value={value === undefined ? '' : JSON.stringify(value)}
          onChange={(e) => onChange(e.target.value === '' ? undefined : JSON.parse(e.target.value))}
        >
          <option value="">Choose…</option>
          {kind.options.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
              {String(o)}
            </option>
          ))}
        </Select>
      )
    case 'scalar':
      return (
        <ParsedInput
          a11y={a11y}
          placeholder="Text, a number, true, false or null"
          value={value}
          parse={(t) => (t === '' ? undefined : parseScalar(t))}
          onChange={onChange}
        />
      )
    case 'string': {
      if (channels && name === 'channelId')
        return (
          <Select
            {...a11y}
            disabled={disabled}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.target.value || undefined)}
          >
            <option value="">Any of the client’s numbers</option>
            {typeof value === 'string' && value && !channels.some((c) => c.id === value) && (
              <option value={value}>A number that is gone ({value})</option>
            )}
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.phone ? ` (${c.phone})` : ''}
              </option>
            ))}
          </Select>
        )
      if (credentials && /^credential(id)?$/i.test(name))
        return (
          <Select
            {...a11y}
            disabled={disabled}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.target.value || undefined)}
          >
            <option value="">No credential</option>
            {credentials.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.kind}, {c.hint})
              </option>
            ))}
          </Select>
        )
      const text = typeof value === 'string' ? value : ''
      const single = s.format === 'uri' || s.format === 'email'
      const long =
        !single && ((s.maxLength ?? 0) > 300 || /prompt|body|text|template|message|content|system|html/i.test(name))
      return long ? (
        <Textarea {...a11y} disabled={disabled} value={text} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <Input
          {...a11y}
          disabled={disabled}
          type={s.format === 'uri' ? 'url' : s.format === 'email' ? 'email' : 'text'}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      )
    }
    case 'number':
    case 'integer':
      return (
        <ParsedInput
          a11y={a11y}
          inputMode={kind.kind === 'integer' ? 'numeric' : 'decimal'}
          value={value}
          parse={(t) => (t.trim() === '' ? undefined : Number.isFinite(Number(t)) ? Number(t) : NaN)}
          onChange={onChange}
          invalid={(t) => (t.trim() !== '' && !Number.isFinite(Number(t)) ? 'Not a number.' : null)}
        />
      )
    case 'boolean':
      return (
        <input
          {...a11y}
          type="checkbox"
          disabled={disabled}
          className="size-4 rounded border-slate-300"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      )
    case 'object':
      return <ObjectFields schema={kind.schema} value={value} onChange={onChange} path={path} />
    case 'variants':
      return <VariantControl variants={kind.variants} tag={kind.tag} value={value} onChange={onChange} path={path} />
    case 'record':
      return <RecordControl valueSchema={kind.value} value={value} onChange={onChange} path={path} />
    case 'array':
      return <ArrayControl items={kind.items} value={value} onChange={onChange} path={path} />
    default:
      return <JsonControl value={value} onChange={onChange} a11y={a11y} />
  }
}
