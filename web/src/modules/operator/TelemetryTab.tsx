import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { Facts } from '../../ui/Facts.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { num } from '../../ui/Table.tsx'
import { formatCount } from '../../lib/format.ts'
import { formatCredits, formatSignedCredits } from '../../lib/credits.ts'
import { formatShare, formatUsdMicro, operatorKeys } from './api.ts'
import type { CostTelemetryDto, OperatorApi } from './api.ts'

type Aggregate = CostTelemetryDto['last24h']

function AggregateCard({ title, a }: { title: string; a: Aggregate }) {
  const rows: [string, string][] = [
    ['Calls', formatCount(a.calls)],
    ['Tokens in / out', `${formatCount(a.inputTokens)} / ${formatCount(a.outputTokens)}`],
    ['Provider cost', formatUsdMicro(a.providerCostUsdMicro)],
    ['Credits charged', formatCredits(a.charged)],
    ['Shadow credits', formatCredits(a.shadowCharged)],
    ['Shadow − actual', formatSignedCredits(a.shadowDelta)],
    ['What a credit covered', a.impliedUsdPerCredit === null ? '—' : `$${a.impliedUsdPerCredit.toFixed(6)}`],
    [
      'Coverage: tokens · cost · charge',
      `${formatShare(a.coverage.withTokens)} · ${formatShare(a.coverage.withCost)} · ${formatShare(a.coverage.billable)}`,
    ],
  ]
  return (
    <Card title={title}>
      <Facts rows={rows} />
    </Card>
  )
}

type TopRow = {
  key: string
  name: string
  calls: number
  tokens: number
  providerCostUsdMicro: number
  charged: number
  shadowCharged: number
}

function TopTable({ caption, first, rows }: { caption: string; first: string; rows: TopRow[] }) {
  if (rows.length === 0) return <p className="text-sm text-slate-600">No calls in the last 7 days.</p>
  return (
    <Table
      caption={caption}
      columns={[first, num('Calls'), num('Tokens'), num('Provider cost'), num('Charged'), num('Shadow')]}
    >
      {rows.map((r) => (
        <tr key={r.key}>
          <Td>
            <code className="text-xs text-slate-900">{r.name}</code>
          </Td>
          <Td className="text-right tabular-nums">{formatCount(r.calls)}</Td>
          <Td className="text-right tabular-nums">{formatCount(r.tokens)}</Td>
          <Td className="text-right tabular-nums">{formatUsdMicro(r.providerCostUsdMicro)}</Td>
          <Td className="text-right tabular-nums">{formatCredits(r.charged)}</Td>
          <Td className="text-right tabular-nums">{formatCredits(r.shadowCharged)}</Td>
        </tr>
      ))}
    </Table>
  )
}

/** What calls cost the installation against what they were charged, live and shadow; the shadow sync. */
export function TelemetryTab({ api }: { api: OperatorApi }) {
  const qc = useQueryClient()
  const query = useQuery({ queryKey: operatorKeys.telemetry, queryFn: ({ signal }) => api.telemetry(signal) })
  const sync = useMutation({
    mutationFn: api.shadowSync,
    meta: { success: 'Shadow sync finished.' },
    onSuccess: () => qc.invalidateQueries({ queryKey: operatorKeys.all }),
  })
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="max-w-prose text-sm text-slate-600">
          Shadow credits are what calls would have been charged at the shadow rate. The shadow sync prices models that
          have no price yet and fills in missing shadow charges and provider costs.
        </p>
        <div className="flex gap-2">
          <Button
            variant="secondary"
            pending={query.isFetching && !query.isPending}
            onClick={() => void query.refetch()}
          >
            Refresh
          </Button>
          <Button pending={sync.isPending} onClick={() => sync.mutate()}>
            Run shadow sync
          </Button>
        </div>
      </div>
      {sync.isError && <Alert tone="error">Shadow sync failed: {errorMessage(sync.error)}</Alert>}
      {sync.data && (
        <Alert tone="success" title="Shadow sync done">
          {sync.data.pricesCreated.length} {sync.data.pricesCreated.length === 1 ? 'price' : 'prices'} created
          {sync.data.pricesCreated.length ? ` (${sync.data.pricesCreated.map((p) => p.modelId).join(', ')})` : ''};{' '}
          {sync.data.shadowBackfilled} shadow charges and {sync.data.costBackfilled} provider costs filled in.
        </Alert>
      )}
      <QueryState query={query} label="Loading cost telemetry…">
        {(t) => (
          <div className="space-y-6">
            <p className="text-xs text-slate-500">As of {formatDateTime(t.generatedAt)}</p>
            <div className="grid gap-6 md:grid-cols-2">
              <AggregateCard title="Last 24 hours" a={t.last24h} />
              <AggregateCard title="Last 7 days" a={t.last7d} />
            </div>
            <section aria-labelledby="top-models">
              <h2 id="top-models" className="mb-3 text-lg font-semibold text-slate-900">
                Top models, last 7 days
              </h2>
              <TopTable
                caption="Models by provider cost"
                first="Model"
                rows={t.topModels.map((m) => ({ ...m, key: m.modelId, name: m.modelId }))}
              />
            </section>
            <section aria-labelledby="top-agents">
              <h2 id="top-agents" className="mb-3 text-lg font-semibold text-slate-900">
                Top agents, last 7 days
              </h2>
              <TopTable
                caption="Agents by credits charged"
                first="Agent"
                rows={t.topAgents.map((a) => ({ ...a, key: a.agentId ?? '', name: a.agentId ?? 'No agent (API)' }))}
              />
            </section>
            <section aria-labelledby="latest-calls">
              <h2 id="latest-calls" className="mb-3 text-lg font-semibold text-slate-900">
                Latest calls
              </h2>
              {t.latest.length === 0 ? (
                <p className="text-sm text-slate-600">No calls yet.</p>
              ) : (
                <Table
                  caption="The last 20 calls"
                  columns={[
                    'When',
                    'Model',
                    'Where',
                    'Status',
                    num('Tokens in / out'),
                    num('Provider cost'),
                    num('Charged'),
                    num('Shadow'),
                  ]}
                >
                  {t.latest.map((c) => (
                    <tr key={c.id}>
                      <Td className="whitespace-nowrap">{formatDateTime(c.createdAt)}</Td>
                      <Td>
                        <code className="text-xs text-slate-900">{c.modelId}</code>
                      </Td>
                      <Td>{c.surface}</Td>
                      <Td>{c.status}</Td>
                      <Td className="text-right whitespace-nowrap tabular-nums">
                        {formatCount(c.inputTokens)} / {formatCount(c.outputTokens)}
                        {c.usageEstimated ? ' *' : ''}
                      </Td>
                      <Td className="text-right tabular-nums">{formatUsdMicro(c.providerCostUsdMicro)}</Td>
                      <Td className="text-right tabular-nums">{c.charged === null ? '—' : formatCredits(c.charged)}</Td>
                      <Td className="text-right tabular-nums">
                        {c.shadowCharged === null ? '—' : formatCredits(c.shadowCharged)}
                      </Td>
                    </tr>
                  ))}
                </Table>
              )}
              {t.latest.some((c) => c.usageEstimated) && (
                <p className="mt-2 text-xs text-slate-500">
                  * Tokens counted by Camarad: the provider did not report them.
                </p>
              )}
            </section>
          </div>
        )}
      </QueryState>
    </div>
  )
}
