import { useContext, useId, useState } from 'react'
import { cx } from '../../lib/cx.ts'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { emptyValue, humanize, isExpr, resolve } from './schema.ts'
import type { JsonSchema } from './schema.ts'
import { FormContext } from './schema-form-context.ts'
import type { A11y, FieldProps } from './schema-form-context.ts'
import { Control, ObjectFields } from './SchemaForm.tsx'

/** A literal editor, or (with "fx" pressed) an expression written `{ "$expr": "…" }`. */
export function ExprControl({
  literal,
  value,
  onChange,
  path,
  a11y,
  name,
  label,
}: Omit<FieldProps, 'schema'> & { literal: JsonSchema; a11y: A11y; name: string; label: string }) {
  const { disabled } = useContext(FormContext)
  const expr = isExpr(value)
  const field = label.replace(/ \(optional\)$/, '')
  const action = `${expr ? 'Use a fixed value' : 'Use an expression'} for ${field}`
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
          <Control
            schema={literal}
            value={value}
            onChange={onChange}
            path={path}
            a11y={a11y}
            name={name}
            label={label}
          />
        )}
      </div>
      <button
        type="button"
        disabled={disabled}
        aria-pressed={expr}
        aria-label={action}
        title={action}
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

export function VariantControl({
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

/**
 * A text input for a parsed value (a number, a scalar): the typed text is kept while it still means the value ("1."),
 * and replaced when the value changes from elsewhere (undo).
 */
export function ParsedInput({
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
export function JsonControl({ value, onChange, a11y }: { value: unknown; onChange: (v: unknown) => void; a11y: A11y }) {
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
