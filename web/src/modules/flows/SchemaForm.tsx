import { createContext, useContext, useId, useState } from 'react'
import type { CredentialDto } from '../../../../contracts/flows.ts'
import { cx } from '../../lib/cx.ts'
import { Button } from '../../ui/Button.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { classify, emptyValue, humanize, isExpr, issueKey, parseScalar, resolve } from './schema.ts'
import type { JsonSchema } from './schema.ts'

type Ctx = { root: JsonSchema; disabled: boolean; issues: Map<string, string>; credentials: CredentialDto[] | null }
const FormContext = createContext<Ctx>({ root: {}, disabled: false, issues: new Map(), credentials: null })

type Props = {
  schema: JsonSchema
  value: Record<string, unknown>
  onChange: (value: Record<string, unknown>) => void
  issues: { path: (string | number)[]; message: string }[]
  disabled?: boolean
  credentials?: CredentialDto[] | null
}

/**
 * A node's config form, generated from its JSON Schema: strings, numbers, booleans, enums, objects, records, arrays,
 * tagged unions, and an "fx" toggle on fields that also take an expression `{ "$expr": "…" }`. Anything else is
 * edited as JSON. Validation issues show under the field they name.
 */
export function SchemaForm({ schema, value, onChange, issues, disabled = false, credentials = null }: Props) {
  const ctx: Ctx = {
    root: schema,
    disabled,
    issues: new Map(issues.map((i) => [issueKey(i.path), i.message])),
    credentials,
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

type FieldProps = { schema: JsonSchema; value: unknown; onChange: (v: unknown) => void; path: (string | number)[] }

function ObjectFields({ schema, value, onChange, path }: FieldProps) {
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

function FieldRow({
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
  const label = fixedLabel ?? `${s.title ?? humanize(name)}${required ? '' : ' (optional)'}`
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
          <Control {...field} a11y={a11y} name={name} />
          {label}
        </label>
      ) : (
        <Control {...field} a11y={a11y} name={name} />
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

type A11y = { id: string; 'aria-invalid': boolean | undefined; 'aria-describedby': string | undefined }

/** The editor for one value, by the kind of its schema. */
function Control({ schema, value, onChange, path, a11y, name }: FieldProps & { a11y: A11y; name: string }) {
  const { root, disabled, credentials } = useContext(FormContext)
  const kind = classify(schema, root)
  const s = resolve(schema, root)
  switch (kind.kind) {
    case 'expr':
      return (
        <ExprControl literal={kind.literal} value={value} onChange={onChange} path={path} a11y={a11y} name={name} />
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
      const long = (s.maxLength ?? 0) > 300 || /prompt|body|text|template|message|content|system|html/i.test(name)
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

/** A literal editor, or (with "fx" pressed) an expression written `{ "$expr": "…" }`. */
function ExprControl({
  literal,
  value,
  onChange,
  path,
  a11y,
  name,
}: Omit<FieldProps, 'schema'> & { literal: JsonSchema; a11y: A11y; name: string }) {
  const { disabled } = useContext(FormContext)
  const expr = isExpr(value)
  const toggle = () => {
    if (expr) {
      let parsed: unknown = undefined
      try {
        parsed = JSON.parse(value.$expr)
      } catch {
        // not a plain literal: the literal input starts empty
      }
      onChange(parsed === null || typeof parsed !== 'object' ? parsed : undefined)
    } else {
      onChange({ $expr: value === undefined || value === '' ? '' : JSON.stringify(value) })
    }
  }
  return (
    <div className="flex items-start gap-2">
      <div className="min-w-0 flex-1">
        {expr ? (
          <Textarea
            {...a11y}
            disabled={disabled}
            className="min-h-16 font-mono"
            placeholder="JSONata, e.g. $.body.email"
            spellCheck={false}
            value={value.$expr}
            onChange={(e) => onChange({ $expr: e.target.value })}
          />
        ) : (
          <Control schema={literal} value={value} onChange={onChange} path={path} a11y={a11y} name={name} />
        )}
      </div>
      <button
        type="button"
        disabled={disabled}
        aria-pressed={expr}
        aria-label={expr ? 'Use a fixed value' : 'Use an expression'}
        title={expr ? 'Use a fixed value' : 'Use an expression'}
        onClick={toggle}
        className={cx(
          'shrink-0 rounded-md border px-2 py-1.5 font-mono text-xs font-semibold italic disabled:opacity-60',
          expr
            ? 'border-indigo-600 bg-indigo-600 text-white'
            : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-100',
        )}
      >
        fx
      </button>
    </div>
  )
}

function VariantControl({
  variants,
  tag,
  value,
  onChange,
  path,
}: Omit<FieldProps, 'schema'> & { variants: JsonSchema[]; tag: string }) {
  const { root, disabled } = useContext(FormContext)
  const obj = value && typeof value === 'object' ? (value as Record<string, unknown>) : {}
  const resolved = variants.map((v) => resolve(v, root))
  const current = resolved.find((v) => v.properties?.[tag]?.const === obj[tag])
  const id = useId()
  return (
    <div className="space-y-3">
      <div className="space-y-1">
        <label htmlFor={id} className="block text-sm text-slate-700">
          {humanize(tag)}
        </label>
        <Select
          id={id}
          disabled={disabled}
          value={current ? JSON.stringify(obj[tag]) : ''}
          onChange={(e) => {
            const picked = resolved.find((v) => JSON.stringify(v.properties?.[tag]?.const) === e.target.value)
            if (picked) onChange(emptyValue(picked, root))
          }}
        >
          <option value="">Choose…</option>
          {resolved.map((v) => {
            const c = JSON.stringify(v.properties?.[tag]?.const)
            return (
              <option key={c} value={c}>
                {v.title ?? String(v.properties?.[tag]?.const)}
              </option>
            )
          })}
        </Select>
      </div>
      {current && (
        <ObjectFields
          schema={{
            ...current,
            properties: Object.fromEntries(Object.entries(current.properties ?? {}).filter(([k]) => k !== tag)),
          }}
          value={obj}
          onChange={(v) => onChange({ ...(v as object), [tag]: obj[tag] })}
          path={path}
        />
      )}
    </div>
  )
}

function ArrayControl({ items, value, onChange, path }: Omit<FieldProps, 'schema'> & { items: JsonSchema }) {
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

function RecordControl({
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

/**
 * A text input for a parsed value (a number, a scalar): the typed text is kept while it still means the value ("1."),
 * and replaced when the value changes from elsewhere (undo).
 */
function ParsedInput({
  a11y,
  value,
  parse,
  onChange,
  invalid,
  ...rest
}: {
  a11y: A11y
  value: unknown
  parse: (text: string) => unknown
  onChange: (v: unknown) => void
  invalid?: (text: string) => string | null
  placeholder?: string
  inputMode?: 'numeric' | 'decimal'
}) {
  const { disabled } = useContext(FormContext)
  const [text, setText] = useState(value === undefined ? '' : String(value))
  const problem = invalid?.(text) ?? null
  const parsed = parse(text)
  const inSync = problem !== null || Object.is(parsed, value) || (parsed === undefined && value === undefined)
  const shown = inSync ? text : value === undefined ? '' : String(value)
  return (
    <>
      <Input
        {...a11y}
        {...rest}
        aria-invalid={problem !== null || a11y['aria-invalid']}
        disabled={disabled}
        value={shown}
        onChange={(e) => {
          setText(e.target.value)
          if (!invalid?.(e.target.value)) onChange(parse(e.target.value))
        }}
      />
      {problem && <p className="text-sm text-red-700">{problem}</p>}
    </>
  )
}

/** Any value as JSON text; only valid JSON is passed on. */
function JsonControl({ value, onChange, a11y }: { value: unknown; onChange: (v: unknown) => void; a11y: A11y }) {
  const { disabled } = useContext(FormContext)
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)))
  const [bad, setBad] = useState(false)
  return (
    <>
      <Textarea
        {...a11y}
        aria-invalid={bad || a11y['aria-invalid']}
        disabled={disabled}
        className="min-h-16 font-mono"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          if (!e.target.value.trim()) {
            setBad(false)
            onChange(undefined)
            return
          }
          try {
            onChange(JSON.parse(e.target.value))
            setBad(false)
          } catch {
            setBad(true)
          }
        }}
      />
      {bad && <p className="text-sm text-red-700">Not valid JSON yet.</p>}
    </>
  )
}
