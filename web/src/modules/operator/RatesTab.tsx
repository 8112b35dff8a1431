import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { formatDateTime } from '../../lib/format.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { num } from '../../ui/Table.tsx'
import { formatPercent, formatUsd, operatorKeys } from './api.ts'
import type { OperatorApi, RateDto, RatePut } from './api.ts'

type Draft = {
  scope: 'live' | 'shadow'
  usdPerCredit: string
  bufferPercent: string
  marginPercent: string
  note: string
}
type NumKey = 'usdPerCredit' | 'bufferPercent' | 'marginPercent'

const fromRate = (r: RateDto | undefined, scope: 'live' | 'shadow'): Draft => ({
  scope,
  usdPerCredit: r ? String(r.usdPerCredit) : '',
  bufferPercent: r ? String(r.bufferPercent) : '',
  marginPercent: r ? String(r.marginPercent) : '',
  note: '',
})

function RateForm({ api, current }: { api: OperatorApi; current: RateDto[] }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const currentOf = (scope: 'live' | 'shadow') => current.find((r) => r.scope === scope)
  const [draft, setDraft] = useState<Draft>(() => fromRate(currentOf('shadow'), 'shadow'))
  const [errors, setErrors] = useState<Partial<Record<NumKey | 'note', string>>>({})
  const save = useMutation({
    mutationFn: (body: RatePut) => api.newRate(body),
    onSuccess: async (r) => {
      notify(`New ${r.scope} rate from now on`)
      setDraft((d) => ({ ...d, note: '' }))
      await qc.invalidateQueries({ queryKey: operatorKeys.rates })
    },
  })
  const server = splitApiError(save.error, ['usdPerCredit', 'bufferPercent', 'marginPercent', 'note'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const found: typeof errors = {}
    const n = (k: NumKey) => Number(draft[k].replace(',', '.'))
    if (!(n('usdPerCredit') > 0 && n('usdPerCredit') <= 1000)) found.usdPerCredit = 'More than 0 and at most 1 000.'
    for (const k of ['bufferPercent', 'marginPercent'] as const)
      if (draft[k].trim() === '' || !(n(k) >= 0 && n(k) <= 1000)) found[k] = 'A percentage from 0 to 1 000.'
    setErrors(found)
    if (Object.keys(found).length) return
    save.mutate({
      scope: draft.scope,
      usdPerCredit: n('usdPerCredit'),
      bufferPercent: n('bufferPercent'),
      marginPercent: n('marginPercent'),
      note: draft.note.trim(),
    })
  }
  const field = (k: NumKey, label: string, hint: string) => (
    <Field label={label} hint={hint} error={errors[k] ?? server.fields[k]}>
      {(p) => (
        <Input
          {...p}
          inputMode="decimal"
          value={draft[k]}
          onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
        />
      )}
    </Field>
  )
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      {draft.scope === 'live' && (
        <Alert tone="warning">
          A new live rate changes what every workspace is charged from now on. Try it as the shadow rate first.
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Field
          label="Rate"
          hint={draft.scope === 'live' ? 'Charged to every workspace' : 'Compared only, never charged'}
        >
          {(p) => (
            <Select
              {...p}
              value={draft.scope}
              onChange={(e) => {
                const scope = e.target.value as 'live' | 'shadow'
                setDraft(fromRate(currentOf(scope), scope))
              }}
            >
              <option value="shadow">Shadow</option>
              <option value="live">Live</option>
            </Select>
          )}
        </Field>
        {field('usdPerCredit', 'US dollars per credit', 'What one credit is worth')}
        {field('marginPercent', 'Margin, %', 'Markup on provider cost')}
        {field('bufferPercent', 'Hold buffer, %', 'Added to estimates when holding')}
      </div>
      <Field label="Note" hint="Why this version (kept with it)" error={errors.note ?? server.fields.note}>
        {(p) => (
          <Input
            {...p}
            value={draft.note}
            maxLength={500}
            onChange={(e) => setDraft({ ...draft, note: e.target.value })}
          />
        )}
      </Field>
      <Button type="submit" variant={draft.scope === 'live' ? 'danger' : 'primary'} pending={save.isPending}>
        Open a new {draft.scope} version
      </Button>
    </form>
  )
}

/** The live and shadow credit rates: every version, and a form for the next one. */
export function RatesTab({ api }: { api: OperatorApi }) {
  const query = useQuery({ queryKey: operatorKeys.rates, queryFn: ({ signal }) => api.rates(signal) })
  return (
    <QueryState query={query} label="Loading rates…">
      {(items) => {
        const current = items.filter((r) => r.validTo === null)
        const sorted = [...items].sort(
          (a, b) => Number(a.validTo !== null) - Number(b.validTo !== null) || b.validFrom.localeCompare(a.validFrom),
        )
        return (
          <div className="space-y-6">
            <Card title="New rate version">
              <RateForm api={api} current={current} />
            </Card>
            <section aria-labelledby="rates-heading">
              <h2 id="rates-heading" className="mb-3 text-lg font-semibold text-slate-900">
                Versions
              </h2>
              {sorted.length === 0 ? (
                <EmptyState title="No rates yet" />
              ) : (
                <Table
                  caption="Credit rate versions, current first"
                  columns={['Rate', num('$ per credit'), num('Margin'), num('Buffer'), 'Note', 'Valid']}
                >
                  {sorted.map((r) => (
                    <tr key={r.id} data-testid="rate-row" className={r.validTo ? 'text-slate-500' : ''}>
                      <Td className="whitespace-nowrap">
                        <Badge tone={r.scope === 'live' ? 'indigo' : 'slate'}>
                          {r.scope === 'live' ? 'Live' : 'Shadow'}
                        </Badge>
                        {!r.validTo && <span className="ml-2 text-xs font-medium text-green-800">current</span>}
                      </Td>
                      <Td className="text-right tabular-nums">{formatUsd(r.usdPerCredit)}</Td>
                      <Td className="text-right tabular-nums">{formatPercent(r.marginPercent)}</Td>
                      <Td className="text-right tabular-nums">{formatPercent(r.bufferPercent)}</Td>
                      <Td className="max-w-xs">{r.note || '—'}</Td>
                      <Td className="text-xs whitespace-nowrap">
                        {formatDateTime(r.validFrom)} → {r.validTo ? formatDateTime(r.validTo) : 'now'}
                      </Td>
                    </tr>
                  ))}
                </Table>
              )}
            </section>
          </div>
        )
      }}
    </QueryState>
  )
}
