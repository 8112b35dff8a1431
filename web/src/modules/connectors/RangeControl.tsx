import { useState } from 'react'
import type { FormEvent } from 'react'
import { REPORT_PRESETS } from '../../../../contracts/connectors.ts'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import {
  PRESET_LABELS,
  formatRange,
  presetRange,
  previousOf,
  rangeProblem,
  yesterdayUtc,
  type Preset,
  type RangeChoice,
} from './range.ts'

/** The one date range both report tabs read: a preset or custom days, and whether to compare with the period before. */
export function RangeControl({ value, onChange }: { value: RangeChoice; onChange: (next: RangeChoice) => void }) {
  const [from, setFrom] = useState(value.from)
  const [to, setTo] = useState(value.to)
  const [problem, setProblem] = useState<string | null>(null)
  const choose = (preset: Preset | 'custom') => {
    if (preset === 'custom') return onChange({ ...value, preset })
    const r = presetRange(preset)
    setFrom(r.from)
    setTo(r.to)
    setProblem(null)
    onChange({ ...value, preset, ...r })
  }
  const apply = (e: FormEvent) => {
    e.preventDefault()
    const p = rangeProblem({ from, to })
    setProblem(p)
    if (!p) onChange({ ...value, preset: 'custom', from, to })
  }
  return (
    <section aria-label="Date range" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-end gap-3">
        <Field label="Period" className="w-full sm:w-48">
          {(p) => (
            <Select {...p} value={value.preset} onChange={(e) => choose(e.target.value as Preset | 'custom')}>
              {REPORT_PRESETS.map((k) => (
                <option key={k} value={k}>
                  {PRESET_LABELS[k]}
                </option>
              ))}
              <option value="custom">Custom days…</option>
            </Select>
          )}
        </Field>
        {value.preset === 'custom' && (
          <form onSubmit={apply} className="flex flex-wrap items-end gap-3">
            <Field label="From">
              {(p) => (
                <Input {...p} type="date" value={from} max={yesterdayUtc()} onChange={(e) => setFrom(e.target.value)} />
              )}
            </Field>
            <Field label="To">
              {(p) => (
                <Input {...p} type="date" value={to} max={yesterdayUtc()} onChange={(e) => setTo(e.target.value)} />
              )}
            </Field>
            <Button type="submit" variant="secondary">
              Apply
            </Button>
          </form>
        )}
        <label className="flex items-center gap-2 pb-2 text-sm text-slate-800">
          <input
            type="checkbox"
            checked={value.compare}
            onChange={(e) => onChange({ ...value, compare: e.target.checked })}
            className="size-4 rounded border-slate-300 text-indigo-600"
          />
          Compare with the previous period
        </label>
      </div>
      {problem && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {problem}
        </p>
      )}
      <p className="mt-2 text-xs text-slate-500">
        {formatRange(value)} (UTC days)
        {value.compare && <> · compared with {formatRange(previousOf(value))}</>}
      </p>
    </section>
  )
}
