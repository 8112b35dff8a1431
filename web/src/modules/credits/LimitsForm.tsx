import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { creditKeys, updateLimits } from './api.ts'
import type { LimitsDto, LimitsPatch } from './api.ts'
import { creditsInput, parseCredits } from '../../lib/credits.ts'

type Key = 'perRequestCap' | 'requestsPerMinuteUser' | 'requestsPerMinuteWorkspace' | 'maxConcurrentStreams'
const KEYS: Key[] = ['perRequestCap', 'requestsPerMinuteUser', 'requestsPerMinuteWorkspace', 'maxConcurrentStreams']
const MAX: Record<Exclude<Key, 'perRequestCap'>, number> = {
  requestsPerMinuteUser: 100_000,
  requestsPerMinuteWorkspace: 1_000_000,
  maxConcurrentStreams: 10_000,
}

const initial = (l: LimitsDto): Record<Key, string> => ({
  perRequestCap: creditsInput(l.perRequestCap),
  requestsPerMinuteUser: String(l.requestsPerMinuteUser),
  requestsPerMinuteWorkspace: String(l.requestsPerMinuteWorkspace),
  maxConcurrentStreams: String(l.maxConcurrentStreams),
})

/** Per-request cap (credits), requests per minute (per member, per workspace) and concurrent answers (admins). */
export function LimitsForm({ limits }: { limits: LimitsDto }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const start = initial(limits)
  const [values, setValues] = useState(start)
  const [errors, setErrors] = useState<Partial<Record<Key, string>>>({})
  const save = useMutation({
    mutationFn: (patch: LimitsPatch) => updateLimits(workspace.id, patch),
    onSuccess: async (next) => {
      qc.setQueryData(creditKeys.limits(workspace.id), next)
      setValues(initial(next))
      notify('Limits saved')
      await qc.invalidateQueries({ queryKey: creditKeys.all(workspace.id) })
    },
  })
  const server = splitApiError(save.error, KEYS)
  const set = (k: Key, v: string) => setValues((all) => ({ ...all, [k]: v }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const found: Partial<Record<Key, string>> = {}
    const patch: Record<string, number | null> = {}
    for (const k of KEYS) {
      if (values[k].trim() === start[k]) continue
      if (k === 'perRequestCap') {
        const micro = parseCredits(values[k])
        if (micro !== null && (Number.isNaN(micro) || micro <= 0))
          found[k] = 'A positive number of credits, or empty for no cap.'
        else patch[k] = micro
      } else {
        const t = values[k].trim()
        const n = Number(t)
        if (t === '') patch[k] = null
        else if (!/^\d+$/.test(t) || n < 1 || n > MAX[k])
          found[k] = `A whole number from 1 to ${MAX[k].toLocaleString()}, or empty for the server default.`
        else patch[k] = n
      }
    }
    setErrors(found)
    if (Object.keys(found).length) return
    if (Object.keys(patch).length === 0) return notify('Nothing to save: no limit changed')
    save.mutate(patch as LimitsPatch)
  }
  const field = (k: Key, label: string, hint: string, unit: string) => (
    <Field label={label} hint={hint} error={errors[k] ?? server.fields[k]}>
      {(p) => (
        <div className="flex items-center gap-2">
          <Input
            {...p}
            inputMode={k === 'perRequestCap' ? 'decimal' : 'numeric'}
            value={values[k]}
            onChange={(e) => set(k, e.target.value)}
            placeholder={k === 'perRequestCap' ? 'No cap' : 'Default'}
          />
          <span aria-hidden="true" className="shrink-0 text-sm text-slate-600">
            {unit}
          </span>
        </div>
      )}
    </Field>
  )
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2">
        {field(
          'perRequestCap',
          'Most one request may cost',
          'In credits. Calls that may cost more are refused. Empty: no cap.',
          'credits',
        )}
        {field(
          'maxConcurrentStreams',
          'Answers at the same time',
          'Across the workspace. Empty: the server default.',
          'answers',
        )}
        {field('requestsPerMinuteUser', 'Requests per minute, per member', 'Empty: the server default.', 'per min')}
        {field(
          'requestsPerMinuteWorkspace',
          'Requests per minute, whole workspace',
          'Empty: the server default.',
          'per min',
        )}
      </div>
      <Button type="submit" pending={save.isPending}>
        Save limits
      </Button>
    </form>
  )
}
