import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { formatDateTime } from '../../lib/format.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { num } from '../../ui/Table.tsx'
import { formatUsd, operatorKeys } from './api.ts'
import type { OperatorApi, PriceDto } from './api.ts'

type Key = 'modelId' | 'inputPerMillionUsd' | 'outputPerMillionUsd' | 'cachedInputPerMillionUsd'
type Draft = Record<Key, string>
const EMPTY: Draft = { modelId: '', inputPerMillionUsd: '', outputPerMillionUsd: '', cachedInputPerMillionUsd: '' }
const USD_FIELDS = ['inputPerMillionUsd', 'outputPerMillionUsd', 'cachedInputPerMillionUsd'] as const

function PriceForm({
  api,
  draft,
  setDraft,
  models,
}: {
  api: OperatorApi
  draft: Draft
  setDraft: (d: Draft) => void
  models: string[]
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const listId = useId()
  const [errors, setErrors] = useState<Partial<Draft>>({})
  const save = useMutation({
    mutationFn: api.setPrice,
    onSuccess: async (p) => {
      notify(`New price for ${p.modelId} from now on`)
      setDraft(EMPTY)
      await qc.invalidateQueries({ queryKey: operatorKeys.prices })
    },
  })
  const server = splitApiError(save.error, ['modelId', ...USD_FIELDS] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const found: Partial<Draft> = {}
    if (draft.modelId.trim().length < 3) found.modelId = 'A catalog model id, e.g. openai:gpt-4o-mini.'
    for (const k of USD_FIELDS) {
      const n = Number(draft[k].replace(',', '.'))
      if (draft[k].trim() === '' || !Number.isFinite(n) || n < 0 || n > 10_000)
        found[k] = 'US dollars per million tokens, 0 to 10 000.'
    }
    setErrors(found)
    if (Object.keys(found).length) return
    save.mutate({
      modelId: draft.modelId.trim(),
      inputPerMillionUsd: Number(draft.inputPerMillionUsd.replace(',', '.')),
      outputPerMillionUsd: Number(draft.outputPerMillionUsd.replace(',', '.')),
      cachedInputPerMillionUsd: Number(draft.cachedInputPerMillionUsd.replace(',', '.')),
    })
  }
  const usd = (k: (typeof USD_FIELDS)[number], label: string) => (
    <Field label={label} error={errors[k] ?? server.fields[k]}>
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
    <form id="price-form" onSubmit={submit} noValidate className="space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Field label="Model id" error={errors.modelId ?? server.fields.modelId}>
          {(p) => (
            <Input
              {...p}
              list={listId}
              value={draft.modelId}
              onChange={(e) => setDraft({ ...draft, modelId: e.target.value })}
              placeholder="openai:gpt-4o-mini"
            />
          )}
        </Field>
        <datalist id={listId}>
          {models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        {usd('inputPerMillionUsd', 'Input, $ per million')}
        {usd('outputPerMillionUsd', 'Output, $ per million')}
        {usd('cachedInputPerMillionUsd', 'Cached input, $ per million')}
      </div>
      <p className="text-xs text-slate-500">
        Saving closes the model’s current price and opens a new version from now; calls already made keep the price they
        were charged at.
      </p>
      <div className="flex gap-2">
        <Button type="submit" pending={save.isPending}>
          Set price
        </Button>
        {draft !== EMPTY && (
          <Button
            variant="ghost"
            onClick={() => {
              setDraft(EMPTY)
              setErrors({})
              save.reset()
            }}
          >
            Clear
          </Button>
        )}
      </div>
    </form>
  )
}

/** Model prices in USD per million tokens: the current ones, optionally every version; set a new one. */
export function PricesTab({ api }: { api: OperatorApi }) {
  const query = useQuery({ queryKey: operatorKeys.prices, queryFn: ({ signal }) => api.prices(signal) })
  const [history, setHistory] = useState(false)
  const [draft, setDraft] = useState<Draft>(EMPTY)
  const models = [...new Set((query.data ?? []).map((p) => p.modelId))].sort()
  const edit = (p: PriceDto) => {
    setDraft({
      modelId: p.modelId,
      inputPerMillionUsd: String(p.inputPerMillionUsd),
      outputPerMillionUsd: String(p.outputPerMillionUsd),
      cachedInputPerMillionUsd: String(p.cachedInputPerMillionUsd),
    })
    document.getElementById('price-form')?.querySelector<HTMLInputElement>('input')?.focus()
  }
  return (
    <div className="space-y-6">
      <Card title="Set a price">
        <PriceForm api={api} draft={draft} setDraft={setDraft} models={models} />
      </Card>
      <section aria-labelledby="prices-heading">
        <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
          <h2 id="prices-heading" className="text-lg font-semibold text-slate-900">
            {history ? 'Every price version' : 'Current prices'}
          </h2>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={history}
              onChange={(e) => setHistory(e.target.checked)}
              className="size-4"
            />
            Show earlier versions
          </label>
        </div>
        <QueryState query={query} label="Loading prices…">
          {(items) => {
            const shown = items
              .filter((p) => history || p.validTo === null)
              .sort((a, b) => a.modelId.localeCompare(b.modelId) || b.validFrom.localeCompare(a.validFrom))
            if (shown.length === 0)
              return (
                <EmptyState title="No prices">Models are priced from the catalog at start; set one above.</EmptyState>
              )
            return (
              <Table
                caption="Model prices, US dollars per million tokens"
                columns={[
                  'Model',
                  num('Input'),
                  num('Output'),
                  num('Cached input'),
                  'Source',
                  'Valid',
                  <span key="a" className="sr-only">
                    Actions
                  </span>,
                ]}
              >
                {shown.map((p) => (
                  <tr key={p.id} data-testid="price-row" className={p.validTo ? 'text-slate-500' : ''}>
                    <Td>
                      <code className="text-xs text-slate-900">{p.modelId}</code>
                    </Td>
                    <Td className="text-right tabular-nums">{formatUsd(p.inputPerMillionUsd)}</Td>
                    <Td className="text-right tabular-nums">{formatUsd(p.outputPerMillionUsd)}</Td>
                    <Td className="text-right tabular-nums">{formatUsd(p.cachedInputPerMillionUsd)}</Td>
                    <Td>{p.source}</Td>
                    <Td className="text-xs whitespace-nowrap">
                      {formatDateTime(p.validFrom)} → {p.validTo ? formatDateTime(p.validTo) : 'now'}
                    </Td>
                    <Td className="text-right">
                      {!p.validTo && (
                        <Button
                          variant="ghost"
                          className="-my-1 px-2 py-1"
                          aria-label={`Change the price of ${p.modelId}`}
                          onClick={() => edit(p)}
                        >
                          Change
                        </Button>
                      )}
                    </Td>
                  </tr>
                ))}
              </Table>
            )
          }}
        </QueryState>
      </section>
    </div>
  )
}
