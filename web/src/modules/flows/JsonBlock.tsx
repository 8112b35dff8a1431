import { useId } from 'react'

const MAX_CHARS = 20_000

const stringify = (value: unknown) => {
  if (value === undefined) return '—'
  try {
    const text = JSON.stringify(value, null, 2) ?? String(value)
    return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}\n… (cut at ${MAX_CHARS} characters)` : text
  } catch {
    return String(value)
  }
}

/** A JSON value, pretty-printed in a scrollable block (long values are cut for the screen; the export has them). */
export function JsonBlock({ label, value }: { label: string; value: unknown }) {
  const id = useId()
  return (
    <section aria-labelledby={id} className="min-w-0">
      <p id={id} className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
        {label}
      </p>
      <pre className="mt-1 max-h-64 overflow-auto rounded-md bg-slate-900 p-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-100">
        {stringify(value)}
      </pre>
    </section>
  )
}
