import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { ChangeEvent, FormEvent } from 'react'
import { ApiError, errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { num } from '../../ui/Table.tsx'
import { formatCount } from '../../lib/format.ts'
import { formatCredits } from '../../lib/credits.ts'
import { COST_PROVIDERS, formatPercent, formatUsdMicro, operatorKeys } from './api.ts'
import type { CostProvider, OperatorApi, ReconciliationRunDto } from './api.ts'

const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)

/** The rows a refused import names: `details.errors` is `{ line, message }[]`. */
const csvProblems = (error: unknown) => {
  if (!(error instanceof ApiError) || error.code !== 'billing.invalid_csv') return []
  const list = (error.details as { errors?: unknown } | undefined)?.errors
  if (!Array.isArray(list)) return []
  return list
    .slice(0, 20)
    .flatMap((x: { line?: unknown; message?: unknown }) =>
      typeof x?.line === 'number' && typeof x.message === 'string' ? [`Line ${x.line}: ${x.message}`] : [],
    )
}

function ImportForm({ api }: { api: OperatorApi }) {
  const qc = useQueryClient()
  const [provider, setProvider] = useState<CostProvider>('openai')
  const [csv, setCsv] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const run = useMutation({
    mutationFn: () => api.importCosts(provider, csv),
    meta: { success: 'Costs imported.' },
    onSuccess: async () => {
      setCsv('')
      await qc.invalidateQueries({ queryKey: operatorKeys.reconciliation })
    },
  })
  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0]
    if (file) setCsv(await file.text())
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!csv.trim()) return setLocal('Choose a CSV file or paste its rows.')
    setLocal(null)
    run.mutate()
  }
  const lines = csvProblems(run.error)
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {run.isError && (
        <Alert tone="error" title="Import refused">
          <p>
            {lines.length ? 'Nothing was imported. Fix these rows and import the file again:' : errorMessage(run.error)}
          </p>
          {lines.length > 0 && (
            <ul className="mt-1 list-disc pl-5">
              {lines.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          )}
        </Alert>
      )}
      {run.data && (
        <Alert tone="success" title="Imported">
          {formatCount(run.data.lines)} {run.data.lines === 1 ? 'row' : 'rows'} for{' '}
          {run.data.days.join(', ') || 'no day'}, {formatUsdMicro(run.data.totalCostUsdMicro)} in total
          {run.data.replaced ? `; ${run.data.replaced} earlier rows superseded` : ''}. Run the reconciliation of those
          days to compare.
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Provider">
          {(p) => (
            <Select {...p} value={provider} onChange={(e) => setProvider(e.target.value as CostProvider)}>
              {COST_PROVIDERS.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="CSV file">
          {(p) => (
            <Input {...p} type="file" accept=".csv,text/csv" onChange={(e) => void onFile(e)} className="py-1.5" />
          )}
        </Field>
      </div>
      <Field
        label="Rows"
        hint="Header date,model,cost_usd[,input_tokens,output_tokens]; one row per day and model."
        error={local}
      >
        {(p) => (
          <Textarea
            {...p}
            value={csv}
            onChange={(e) => setCsv(e.target.value)}
            className="font-mono text-xs"
            placeholder={'date,model,cost_usd\n2026-11-21,gpt-4o-mini,1.234'}
          />
        )}
      </Field>
      <Button type="submit" pending={run.isPending}>
        Import costs
      </Button>
    </form>
  )
}

function RunForm({ api }: { api: OperatorApi }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [day, setDay] = useState(yesterday)
  const run = useMutation({
    mutationFn: () => api.reconcile(day || undefined),
    onSuccess: async (r) => {
      notify(`Reconciled ${r.day}`)
      await qc.invalidateQueries({ queryKey: operatorKeys.reconciliation })
    },
  })
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        run.mutate()
      }}
      className="flex flex-wrap items-end gap-3"
    >
      <Field label="Day (UTC)">
        {(p) => (
          <Input
            {...p}
            type="date"
            value={day}
            max={new Date().toISOString().slice(0, 10)}
            onChange={(e) => setDay(e.target.value)}
          />
        )}
      </Field>
      <Button type="submit" pending={run.isPending}>
        Reconcile
      </Button>
      {run.isError && (
        <Alert tone="error" className="w-full">
          {errorMessage(run.error)}
        </Alert>
      )}
    </form>
  )
}

function RunItem({ r }: { r: ReconciliationRunDto }) {
  const below = r.marginPercent !== null && r.marginPercent < r.targetMarginPercent
  return (
    <li data-testid="reconciliation-run" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <p className="font-medium text-slate-900">
            {r.day}{' '}
            <span className="text-sm font-normal text-slate-500">
              · {r.trigger === 'cron' ? 'nightly' : 'by the operator'}, {formatDateTime(r.createdAt)}
            </span>
          </p>
          <p className="mt-1 text-sm text-slate-700">
            {formatCount(r.calls)} calls · provider cost {formatUsdMicro(r.providerCostUsdMicro)}
            {r.importedCostUsdMicro === null
              ? ' (recorded)'
              : ` (invoiced; recorded ${formatUsdMicro(r.recordedCostUsdMicro)})`}{' '}
            · charged {formatCredits(r.charged)} credits = {formatUsdMicro(r.revenueUsdMicro)}
          </p>
        </div>
        <Badge tone={r.marginPercent === null ? 'slate' : below ? 'red' : 'green'}>
          Margin {formatPercent(r.marginPercent)} (target {formatPercent(r.targetMarginPercent)})
        </Badge>
      </div>
      {r.alerts.length > 0 && (
        <ul className="mt-3 space-y-1">
          {r.alerts.map((a) => (
            <li key={a.id}>
              <Alert tone="warning">{a.message}</Alert>
            </li>
          ))}
        </ul>
      )}
      {r.deltas.length > 0 && (
        <details className="mt-3">
          <summary className="cursor-pointer text-sm font-medium text-indigo-700">
            Per model ({r.deltas.length})
          </summary>
          <div className="mt-2">
            <Table
              caption={`Recorded and invoiced cost per model on ${r.day}`}
              columns={['Model', num('Calls'), num('Recorded'), num('Invoiced'), num('Difference')]}
            >
              {r.deltas.map((d) => (
                <tr key={`${d.provider}:${d.modelId}`}>
                  <Td>
                    <code className="text-xs text-slate-900">{d.modelId}</code>
                  </Td>
                  <Td className="text-right tabular-nums">{formatCount(d.calls)}</Td>
                  <Td className="text-right tabular-nums">{formatUsdMicro(d.recordedUsdMicro)}</Td>
                  <Td className="text-right tabular-nums">{formatUsdMicro(d.importedUsdMicro)}</Td>
                  <Td
                    className={`text-right tabular-nums ${d.deltaUsdMicro && d.deltaUsdMicro > 0 ? 'text-red-700' : ''}`}
                  >
                    {d.deltaUsdMicro === null
                      ? '—'
                      : `${d.deltaUsdMicro > 0 ? '+' : ''}${formatUsdMicro(d.deltaUsdMicro)}`}
                  </Td>
                </tr>
              ))}
            </Table>
          </div>
        </details>
      )}
    </li>
  )
}

/** Provider invoices imported as CSV, daily reconciliation runs with per-model deltas, margin and alerts. */
export function ReconciliationTab({ api }: { api: OperatorApi }) {
  const query = useQuery({ queryKey: operatorKeys.reconciliation, queryFn: ({ signal }) => api.runs(signal) })
  return (
    <div className="space-y-6">
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <Card
          title="Import provider costs"
          description="From the provider’s usage export. A file with a bad row is refused whole."
        >
          <ImportForm api={api} />
        </Card>
        <Card title="Reconcile a day" description="Runs every night for yesterday; run it again after an import.">
          <RunForm api={api} />
        </Card>
      </div>
      <section aria-labelledby="runs-heading">
        <h2 id="runs-heading" className="mb-3 text-lg font-semibold text-slate-900">
          Runs
        </h2>
        <QueryState query={query} label="Loading runs…">
          {(runs) =>
            runs.length === 0 ? (
              <EmptyState title="No runs yet">The first one runs tonight, or reconcile a day above.</EmptyState>
            ) : (
              <ul aria-label="Reconciliation runs" className="space-y-3">
                {runs.map((r) => (
                  <RunItem key={r.id} r={r} />
                ))}
              </ul>
            )
          }
        </QueryState>
      </section>
    </div>
  )
}
