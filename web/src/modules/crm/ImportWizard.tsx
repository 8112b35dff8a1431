import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { ChangeEvent } from 'react'
import { useNavigate } from 'react-router'
import { errorMessage } from '../../lib/api.ts'
import { cx } from '../../lib/cx.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button, ButtonLink } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { ClientGate } from './ClientGate.tsx'
import { dryRunImport, importKeys, previewImport, startImport } from './imports-api.ts'
import type { Field as LeadField, ImportInput, Mapping } from './imports-api.ts'
import { CountTiles, ProblemsTable } from './ImportParts.tsx'

const MAX_BYTES = 5 * 1024 * 1024
const MAX_URLS = 20
const FIELDS: [LeadField, string][] = [
  ['name', 'Name'],
  ['phone', 'Phone'],
  ['email', 'Email'],
  ['tags', 'Tags'],
  ['company', 'Company'],
  ['dealTitle', 'Deal title'],
  ['dealValue', 'Deal value'],
]
const CURRENCIES = ['RON', 'EUR', 'USD', 'GBP']
type Step = 'source' | 'mapping' | 'check'
const STEPS: [Step | 'start', string][] = [
  ['source', 'Choose leads'],
  ['mapping', 'Map columns'],
  ['check', 'Check'],
  ['start', 'Import'],
]
/** One key per wizard: a repeated "Start import" answers the first import (crypto.randomUUID needs HTTPS). */
const newKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')

/** /app/crm/imports/new: CSV file or web pages → column mapping with a preview → dry run → start. */
export function ImportWizardPage() {
  return <ClientGate title="Import leads">{(c) => <Wizard clientId={c.id} />}</ClientGate>
}

function Wizard({ clientId }: { clientId: string }) {
  const { notify } = useToast()
  const navigate = useNavigate()
  const qc = useQueryClient()
  const [step, setStep] = useState<Step>('source')
  const [kind, setKind] = useState<'csv' | 'pages'>('csv')
  // `version` tells two files of the same name and size apart in the preview's cache key.
  const [file, setFile] = useState<{ name: string; text: string; version: number } | null>(null)
  const [urlsText, setUrlsText] = useState('')
  const [source, setSource] = useState('')
  const [currency, setCurrency] = useState('RON')
  const [mapping, setMapping] = useState<Mapping | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [key] = useState(newKey)
  const urls = urlsText
    .split(/\s+/)
    .map((u) => u.trim())
    .filter(Boolean)
  const input: ImportInput =
    kind === 'csv'
      ? { kind, csv: file?.text ?? '', mapping: mapping ?? {}, source: source.trim(), currency }
      : { kind, urls, source: source.trim(), currency }

  const preview = useQuery({
    queryKey: ['crm', clientId, 'import-preview', file?.version, mapping],
    queryFn: () => previewImport(clientId, file!.text, mapping ?? undefined),
    enabled: kind === 'csv' && step === 'mapping' && !!file,
    placeholderData: keepPreviousData,
    retry: false,
  })
  if (preview.data && mapping === null) setMapping(preview.data.suggestedMapping)
  const dryRun = useMutation({ mutationFn: () => dryRunImport(clientId, input) })
  const start = useMutation({
    mutationFn: () => startImport(clientId, input, key),
    onSuccess: async (imp) => {
      await qc.invalidateQueries({ queryKey: importKeys.list(clientId) })
      notify('Import started')
      void navigate(`/app/crm/imports/${imp.id}`)
    },
  })

  const onFile = (e: ChangeEvent<HTMLInputElement>) => {
    const chosen = e.target.files?.[0]
    setProblem(null)
    setMapping(null)
    if (!chosen) return setFile(null)
    if (chosen.size > MAX_BYTES) return setProblem('The file is larger than 5 MB: split it and import the parts.')
    const reader = new FileReader()
    reader.onload = () => setFile({ name: chosen.name, text: String(reader.result ?? ''), version: Date.now() })
    reader.onerror = () => setProblem('The file could not be read.')
    reader.readAsText(chosen)
  }
  const next = () => {
    setProblem(null)
    if (!source.trim()) return setProblem('Say where these leads come from (e.g. "Spring fair").')
    if (kind === 'csv') {
      if (!file?.text.trim()) return setProblem('Choose a CSV file first.')
      return setStep('mapping')
    }
    if (!urls.length) return setProblem('Paste at least one page address.')
    if (urls.length > MAX_URLS) return setProblem(`At most ${MAX_URLS} pages in one import.`)
    setStep('check')
    dryRun.mutate()
  }
  const check = () => {
    setStep('check')
    dryRun.mutate()
  }
  const back = () => {
    dryRun.reset()
    setStep(step === 'check' && kind === 'csv' ? 'mapping' : 'source')
  }
  const current = STEPS.findIndex(([s]) => s === step)

  return (
    <>
      <PageHeader
        title="Import leads"
        description="Each new lead becomes a contact and a deal in the default pipeline, and starts the flows set for it."
        actions={
          <ButtonLink variant="secondary" to="/app/crm/imports">
            Past imports
          </ButtonLink>
        }
      />
      <ol aria-label="Steps" className="mb-4 flex flex-wrap gap-2 text-sm">
        {STEPS.filter(([s]) => kind === 'csv' || s !== 'mapping').map(([s, label], i) => (
          <li
            key={s}
            aria-current={s === step ? 'step' : undefined}
            className={cx(
              'rounded-full border px-3 py-1',
              s === step
                ? 'border-indigo-600 bg-indigo-50 font-medium text-indigo-800'
                : 'border-slate-200 text-slate-600',
              STEPS.findIndex(([x]) => x === s) < current && 'text-slate-900',
            )}
          >
            {i + 1}. {label}
          </li>
        ))}
      </ol>

      {step === 'source' && (
        <Card>
          <Tabs
            label="Where the leads are"
            tabs={[
              { key: 'csv', label: 'CSV file' },
              { key: 'pages', label: 'Web pages' },
            ]}
            current={kind}
            onSelect={(k) => {
              setKind(k)
              setProblem(null)
            }}
          >
            <div className="space-y-4 pt-4">
              {kind === 'csv' ? (
                <Field
                  label="File"
                  hint={
                    file
                      ? `${file.name} · ${file.text.length.toLocaleString()} characters`
                      : 'Up to 5 MB and 10,000 rows, comma, semicolon or tab separated, with a header row.'
                  }
                >
                  {(p) => (
                    <Input {...p} type="file" accept=".csv,text/csv,text/plain" onChange={onFile} className="py-1.5" />
                  )}
                </Field>
              ) : (
                <Field
                  label="Page addresses"
                  hint={
                    `One per line, at most ${MAX_URLS}. Contacts are read from each page's structured data and ` +
                    'links first; the AI reads a page only when it has none (metered).'
                  }
                >
                  {(p) => (
                    <Textarea
                      {...p}
                      rows={6}
                      value={urlsText}
                      onChange={(e) => setUrlsText(e.target.value)}
                      placeholder={'https://example.com/contact\nhttps://example.org/team'}
                      className="font-mono text-xs"
                    />
                  )}
                </Field>
              )}
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label="Source" hint="Shown on each lead and used by flows started for it.">
                  {(p) => (
                    <Input
                      {...p}
                      value={source}
                      maxLength={100}
                      onChange={(e) => setSource(e.target.value)}
                      placeholder="Spring fair"
                    />
                  )}
                </Field>
                <Field label="Deal currency">
                  {(p) => (
                    <Select {...p} value={currency} onChange={(e) => setCurrency(e.target.value)}>
                      {CURRENCIES.map((c) => (
                        <option key={c}>{c}</option>
                      ))}
                    </Select>
                  )}
                </Field>
              </div>
              {problem && <Alert tone="error">{problem}</Alert>}
              <Button onClick={next}>{kind === 'csv' ? 'Next: map columns' : 'Next: check the pages'}</Button>
            </div>
          </Tabs>
        </Card>
      )}

      {step === 'mapping' && (
        <QueryState query={preview} label="Reading the file…">
          {(p) => (
            <div className="space-y-4">
              <Card
                title="Columns"
                description={`${p.totalRows.toLocaleString()} rows. Pick the column for each field; a field left empty is not imported.`}
              >
                <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                  {FIELDS.map(([field, label]) => (
                    <Field key={field} label={label}>
                      {(c) => (
                        <Select
                          {...c}
                          value={mapping?.[field] ?? ''}
                          onChange={(e) => setMapping({ ...mapping, [field]: e.target.value || undefined })}
                        >
                          <option value="">— not imported —</option>
                          {p.headers.map((h) => (
                            <option key={h} value={h}>
                              {h}
                            </option>
                          ))}
                        </Select>
                      )}
                    </Field>
                  ))}
                </div>
              </Card>
              <ProblemsTable
                caption="First rows of the file"
                rows={p.rows.map((r) => ({ ...r, status: r.errors.length ? 'invalid' : 'pending' }))}
              />
              <div className="flex flex-wrap gap-2">
                <Button variant="secondary" onClick={back}>
                  Back
                </Button>
                <Button onClick={check}>Next: check the import</Button>
              </div>
            </div>
          )}
        </QueryState>
      )}

      {step === 'check' && (
        <div className="space-y-4">
          {dryRun.isPending && <p className="text-sm text-slate-600">Checking…</p>}
          {dryRun.isError && (
            <Alert tone="error" title="Could not check the import">
              {errorMessage(dryRun.error)}
            </Alert>
          )}
          {dryRun.data && dryRun.data.kind === 'csv' && (
            <>
              <CountTiles counts={dryRun.data.counts} dry />
              {dryRun.data.problems.length > 0 ? (
                <ProblemsTable caption="Rows that will not be imported" rows={dryRun.data.problems} />
              ) : (
                <p className="text-sm text-slate-600">Every row is valid and new.</p>
              )}
            </>
          )}
          {dryRun.data && dryRun.data.kind === 'pages' && (
            <Card title="Pages" description="Addresses checked; the pages are fetched when the import runs.">
              <ul className="divide-y divide-slate-100 text-sm" aria-label="Pages checked">
                {dryRun.data.pages.map((pg) => (
                  <li key={pg.url} className="flex flex-wrap justify-between gap-2 py-2">
                    <span className="break-all">{pg.url}</span>
                    <span className={pg.error ? 'text-red-700' : 'text-green-700'}>{pg.error?.message ?? 'OK'}</span>
                  </li>
                ))}
              </ul>
            </Card>
          )}
          {start.isError && (
            <Alert tone="error" title="The import did not start">
              {errorMessage(start.error)}
            </Alert>
          )}
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={back}>
              Back
            </Button>
            <Button
              pending={start.isPending}
              disabled={
                !dryRun.data ||
                (dryRun.data.kind === 'csv'
                  ? dryRun.data.counts.imported === 0
                  : dryRun.data.pages.every((pg) => pg.error))
              }
              onClick={() => start.mutate()}
            >
              Start import
            </Button>
          </div>
        </div>
      )}
    </>
  )
}
