import { formatDateTime } from '../../lib/format.ts'
import { Button } from '../../ui/Button.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import type { LedgerEntryDto } from './api.ts'
import { Badge } from '../../ui/Badge.tsx'
import { DISPUTE_LABEL, DISPUTE_TONE, KIND_LABEL, KIND_TONE, surfaceLabel } from './badges.ts'
import { num } from '../../ui/Table.tsx'
import { formatCredits, formatSignedCredits } from '../../lib/credits.ts'
import type { Names } from './queries.ts'

type Props = {
  entries: LedgerEntryDto[]
  names: Names
  /** Whether the viewer may dispute this entry (a charge made for them, or any charge for admins). */
  canDispute: (entry: LedgerEntryDto) => boolean
  onDispute: (entry: LedgerEntryDto) => void
  onRequest: (requestId: string) => void
}

/** Ledger entries, newest first: credits in green, charges as negative amounts, disputes and refunds linked. */
export function LedgerTable({ entries, names, canDispute, onDispute, onRequest }: Props) {
  return (
    <Table
      caption="Ledger entries, newest first"
      columns={['When', 'Entry', num('Credits'), 'Client · member', 'Request', <span key="d">Dispute</span>]}
    >
      {entries.map((e) => (
        <tr key={e.id} data-testid="ledger-row" data-kind={e.kind}>
          <Td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</Td>
          <Td className="min-w-44">
            <Badge tone={KIND_TONE[e.kind]}>{KIND_LABEL[e.kind] ?? e.kind}</Badge>
            <span className="mt-1 block text-xs text-slate-600">
              {[e.modelId && names.model(e.modelId), e.reason || (e.surface ? surfaceLabel(e.surface) : '')]
                .filter(Boolean)
                .join(' · ')}
            </span>
          </Td>
          <Td
            className={`text-right whitespace-nowrap tabular-nums font-medium ${e.amount > 0 ? 'text-green-800' : 'text-slate-900'}`}
          >
            {formatSignedCredits(e.amount)}
          </Td>
          <Td className="whitespace-nowrap">
            {names.client(e.clientId)}
            <span className="block text-xs text-slate-500">{names.user(e.userId)}</span>
          </Td>
          <Td>
            <button
              type="button"
              onClick={() => onRequest(e.requestId)}
              title={e.requestId}
              aria-label={`Show only request ${e.requestId}`}
              className="block max-w-32 truncate font-mono text-xs text-indigo-700 hover:underline"
            >
              {e.requestId}
            </button>
          </Td>
          <Td className="whitespace-nowrap">
            {e.dispute ? (
              <Badge tone={DISPUTE_TONE[e.dispute.status]}>{DISPUTE_LABEL[e.dispute.status]}</Badge>
            ) : canDispute(e) ? (
              <Button
                variant="ghost"
                className="-my-1 px-2 py-1 text-indigo-700"
                aria-label={`Dispute the charge of ${formatCredits(-e.amount)} credits on ${formatDateTime(e.createdAt)}`}
                onClick={() => onDispute(e)}
              >
                Dispute
              </Button>
            ) : e.refundOf ? (
              <span className="text-xs text-slate-500">Refund</span>
            ) : null}
          </Td>
        </tr>
      ))}
    </Table>
  )
}
