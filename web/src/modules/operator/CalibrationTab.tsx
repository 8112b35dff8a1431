import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Facts } from '../../ui/Facts.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { num } from '../../ui/Table.tsx'
import { formatCount } from '../../lib/format.ts'
import { formatPercent, formatShare, formatUsd, formatUsdMicro, operatorKeys } from './api.ts'
import type { CalibrationProposalDto, OperatorApi } from './api.ts'

const WINDOWS = [
  { h: 24, label: 'Last 24 hours' },
  { h: 72, label: 'Last 3 days' },
  { h: 168, label: 'Last 7 days' },
  { h: 336, label: 'Last 14 days' },
  { h: 720, label: 'Last 30 days' },
]
const CONFIDENCE_TONE = { low: 'red', medium: 'amber', high: 'green' } as const

function Proposal({ p }: { p: CalibrationProposalDto }) {
  const rows = [
    ['US dollars per credit', formatUsd(p.current.usdPerCredit), formatUsd(p.proposed.usdPerCredit)],
    ['Margin', formatPercent(p.current.marginPercent), formatPercent(p.proposed.marginPercent)],
    ['Hold buffer', formatPercent(p.current.bufferPercent), formatPercent(p.proposed.bufferPercent)],
  ]
  const observed: [string, string][] = [
    [
      'Calls in the window',
      `${formatCount(p.sample.calls)} (${formatCount(p.sample.coveredCalls)} with cost, ${formatShare(p.sample.coverage)})`,
    ],
    ['Settled holds', formatCount(p.sample.settledHolds)],
    ['Priced provider cost', formatUsdMicro(p.observed.pricedCostUsdMicro)],
    ['Revenue', formatUsdMicro(p.observed.revenueUsdMicro)],
    [
      'Cost factor (invoices ÷ priced)',
      `${p.observed.costFactor.toFixed(3)} (${p.observed.costBasis === 'imported' ? 'from imported invoices' : 'recorded costs only'})`,
    ],
    ['Realised margin', formatPercent(p.observed.realisedMarginPercent)],
    ['Charged ÷ held, p95', p.observed.holdChargeRatioP95 === null ? '—' : p.observed.holdChargeRatioP95.toFixed(3)],
    ['Target margin (floor)', `${formatPercent(p.targetMarginPercent)} (${formatPercent(p.floorMarginPercent)})`],
  ]
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-700">
        <span>
          {formatDateTime(p.from)} → {formatDateTime(p.to)}
        </span>
        <Badge tone={CONFIDENCE_TONE[p.confidence.level]}>
          Confidence: {p.confidence.level} ({formatShare(p.confidence.score)})
        </Badge>
        <Badge tone={p.sufficient ? 'green' : 'amber'}>
          {p.sufficient ? 'Enough data to apply' : 'Not enough data to apply'}
        </Badge>
      </div>
      <Table caption="Current and proposed live rate" columns={['Setting', num('Current'), num('Proposed')]}>
        {rows.map(([k, cur, next]) => (
          <tr key={k}>
            <Td className="font-medium text-slate-900">{k}</Td>
            <Td className="text-right tabular-nums">{cur}</Td>
            <Td className={`text-right tabular-nums ${cur === next ? '' : 'font-semibold text-indigo-800'}`}>{next}</Td>
          </tr>
        ))}
      </Table>
      <div className="grid gap-6 md:grid-cols-2">
        <Card title="Observed">
          <Facts rows={observed} />
        </Card>
        <Card title="Why">
          {p.reasons.length ? (
            <ul className="list-disc space-y-1 pl-5 text-sm text-slate-700">
              {p.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-slate-600">No remarks.</p>
          )}
          {p.guardrails.length > 0 && (
            <>
              <h3 className="mt-4 mb-1 text-sm font-semibold text-slate-900">Guardrails applied</h3>
              <ul className="list-disc space-y-1 pl-5 text-sm text-slate-700">
                {p.guardrails.map((g) => (
                  <li key={`${g.name}:${g.field}`}>
                    <code className="text-xs">{g.name}</code> on {g.field}: {g.detail}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Card>
      </div>
    </div>
  )
}

/** A proposed live rate from what calls really cost over a window; applying it opens a new live version. */
export function CalibrationTab({ api }: { api: OperatorApi }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [hours, setHours] = useState(168)
  const [confirming, setConfirming] = useState(false)
  const [note, setNote] = useState('')
  const query = useQuery({
    queryKey: operatorKeys.proposal(hours),
    queryFn: ({ signal }) => api.proposal(hours, signal),
    placeholderData: keepPreviousData,
  })
  const apply = useMutation({
    mutationFn: () => api.applyCalibration(hours, note.trim()),
    onSuccess: async (r) => {
      setConfirming(false)
      setNote('')
      notify(`Live rate is now ${formatUsd(r.usdPerCredit)} per credit`)
      await qc.invalidateQueries({ queryKey: operatorKeys.all })
    },
  })
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <Field label="Window" className="w-48">
          {(p) => (
            <Select {...p} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {WINDOWS.map((w) => (
                <option key={w.h} value={w.h}>
                  {w.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button
          disabled={!query.data?.sufficient}
          onClick={() => {
            apply.reset()
            setConfirming(true)
          }}
        >
          Apply proposal…
        </Button>
      </div>
      {query.data && !query.data.sufficient && (
        <Alert tone="info">Applying needs at least 50 calls and 90 % of them with a cost in the window.</Alert>
      )}
      <QueryState query={query} label="Computing the proposal…">
        {(p) => <Proposal p={p} />}
      </QueryState>
      <Dialog
        open={confirming}
        title="Apply the proposed live rate?"
        onClose={() => !apply.isPending && setConfirming(false)}
      >
        <p className="text-sm text-slate-700">
          Every workspace is charged at the new rate from now on. The current version is closed and kept.
        </p>
        {apply.isError && (
          <Alert tone="error" className="mt-3">
            {errorMessage(apply.error)}
          </Alert>
        )}
        <Field label="Note" className="mt-4">
          {(p) => (
            <Input
              {...p}
              value={note}
              maxLength={500}
              onChange={(e) => setNote(e.target.value)}
              placeholder="Calibrated on the last 7 days"
            />
          )}
        </Field>
        <div className="mt-6 flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setConfirming(false)} disabled={apply.isPending}>
            Cancel
          </Button>
          <Button variant="danger" pending={apply.isPending} onClick={() => apply.mutate()}>
            Apply
          </Button>
        </div>
      </Dialog>
    </div>
  )
}
