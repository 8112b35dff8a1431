import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useParams } from 'react-router'
import { Badge } from '../../ui/Badge.tsx'
import { ButtonLink } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { ClientGate } from './ClientGate.tsx'
import { getImport, importKeys, listImportRows } from './imports-api.ts'
import type { LeadImport, RowStatus } from './imports-api.ts'
import { CountTiles, ProblemsTable } from './ImportParts.tsx'

const POLL_MS = 1500
const METHOD: Record<string, string> = {
  structured: 'structured data and links',
  ai: 'read by the AI',
  rules: 'phones and emails in the text (offline model)',
}

/** /app/crm/imports/:id: an import's progress (polled while it runs), its pages and its rows by status. */
export function ImportProgressPage() {
  const { id = '' } = useParams()
  return <ClientGate title="Lead import">{(c) => <Progress clientId={c.id} id={id} />}</ClientGate>
}

function Progress({ clientId, id }: { clientId: string; id: string }) {
  const query = useQuery({
    queryKey: importKeys.one(clientId, id),
    queryFn: ({ signal }) => getImport(clientId, id, signal),
    refetchInterval: (q) => (q.state.data?.status === 'running' ? POLL_MS : false),
  })
  return (
    <>
      <PageHeader
        title="Lead import"
        actions={
          <ButtonLink variant="secondary" to="/app/crm/imports">
            All imports
          </ButtonLink>
        }
      />
      <QueryState query={query} label="Loading the import…">
        {(imp) => <ImportView clientId={clientId} imp={imp} />}
      </QueryState>
    </>
  )
}

function ImportView({ clientId, imp }: { clientId: string; imp: LeadImport }) {
  const [status, setStatus] = useState<RowStatus | ''>('')
  const running = imp.status === 'running'
  const done = imp.counts.total - imp.counts.pending
  const pagesLeft = imp.pages.filter((p) => p.status === 'pending' || p.status === 'fetching').length
  const rows = useInfiniteQuery({
    queryKey: [...importKeys.rows(clientId, imp.id!, status), running ? done : 'final'],
    queryFn: ({ pageParam, signal }) => listImportRows(clientId, imp.id!, status, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  return (
    <div className="space-y-4">
      <Card>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-sm text-slate-700">
            <strong className="font-semibold text-slate-900">{imp.source}</strong> ·{' '}
            {imp.kind === 'csv' ? 'CSV file' : 'web pages'}
          </p>
          <span data-testid="import-status">
            <Badge tone={running ? 'sky' : 'green'}>{running ? 'Running' : 'Done'}</Badge>
          </span>
        </div>
        <div
          className="mt-3 h-2 overflow-hidden rounded-full bg-slate-100"
          role="progressbar"
          aria-label="Import progress"
          aria-valuemin={0}
          aria-valuemax={imp.counts.total || 1}
          aria-valuenow={running ? done : imp.counts.total || 1}
        >
          <div
            className="h-full bg-indigo-600 transition-all"
            style={{ width: `${running ? (imp.counts.total ? (done / imp.counts.total) * 100 : 5) : 100}%` }}
          />
        </div>
        {running && pagesLeft > 0 && (
          <p className="mt-2 text-sm text-slate-600">
            Reading pages: {imp.pages.length - pagesLeft} of {imp.pages.length} done.
          </p>
        )}
      </Card>
      <CountTiles counts={imp.counts} />
      {imp.kind === 'pages' && (
        <Card title="Pages">
          <ul className="divide-y divide-slate-100 text-sm" aria-label="Pages">
            {imp.pages.map((p) => (
              <li key={p.url} className="flex flex-wrap justify-between gap-2 py-2">
                <span className="break-all">{p.url}</span>
                <span className={p.error ? 'text-red-700' : 'text-slate-700'}>
                  {p.error
                    ? p.error.message
                    : p.status === 'done'
                      ? `${p.found} found · ${METHOD[p.method ?? ''] ?? ''}${p.demo ? ' (demo)' : ''}`
                      : 'Waiting…'}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <Field label="Show rows">
          {(p) => (
            <Select {...p} value={status} onChange={(e) => setStatus(e.target.value as RowStatus | '')}>
              <option value="">All</option>
              <option value="imported">Imported</option>
              <option value="duplicate">Duplicates</option>
              <option value="invalid">Invalid</option>
              <option value="pending">Still to do</option>
            </Select>
          )}
        </Field>
      </div>
      <QueryState query={rows} label="Loading rows…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (!items.length) return <EmptyState title={status ? 'No row with this status' : 'No rows yet'} />
          return (
            <>
              <ProblemsTable caption="Rows of the import" rows={items} />
              <LoadMore query={rows} />
            </>
          )
        }}
      </QueryState>
    </div>
  )
}
