import type { ImportedLead } from '../../../../contracts/crm.ts'
import { cx } from '../../lib/cx.ts'
import { Badge } from '../../ui/Badge.tsx'
import type { Tone } from '../../ui/Badge.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import type { LeadImport, RowStatus } from './imports-api.ts'
import { formatMoney } from './format.ts'

export const ROW_TONE: Record<RowStatus, Tone> = {
  pending: 'slate',
  imported: 'green',
  duplicate: 'amber',
  invalid: 'red',
}
const ROW_LABEL: Record<RowStatus, string> = {
  pending: 'to import',
  imported: 'imported',
  duplicate: 'duplicate',
  invalid: 'invalid',
}

/** An import's figures: rows, new leads, duplicates, invalid (and, while it runs, still to do). */
export function CountTiles({ counts, dry = false }: { counts: LeadImport['counts']; dry?: boolean }) {
  const tiles: [string, number][] = [
    ['Rows', counts.total],
    [dry ? 'Will be imported' : 'Imported', counts.imported],
    ['Duplicates', counts.duplicates],
    ['Invalid', counts.invalid],
    ...(dry ? [] : ([['Still to do', counts.pending]] as [string, number][])),
  ]
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5" aria-label="Counts">
      {tiles.map(([label, n]) => (
        <div key={label} className="rounded-lg border border-slate-200 bg-white p-3">
          <dt className="text-xs text-slate-600">{label}</dt>
          <dd
            className="text-xl font-semibold text-slate-900"
            data-testid={`count-${label.toLowerCase().replaceAll(' ', '-')}`}
          >
            {n.toLocaleString()}
          </dd>
        </div>
      ))}
    </dl>
  )
}

type RowLike = {
  row: number
  status: RowStatus
  lead: ImportedLead
  errors: { code: string; message: string }[]
  url?: string | null
}

/** Rows of a file or an import, the ones with errors highlighted with their messages. */
export function ProblemsTable({ caption, rows, currency }: { caption: string; rows: RowLike[]; currency?: string }) {
  return (
    <Table
      caption={caption}
      columns={['Row', 'Status', 'Name', 'Phone', 'Email', 'Company', 'Deal', 'Value', 'Problems']}
    >
      {rows.map((r) => (
        <tr
          key={r.row}
          data-testid={r.errors.length ? 'row-with-errors' : 'row'}
          className={cx(r.errors.length > 0 && 'bg-red-50')}
        >
          <Td>{r.row}</Td>
          <Td>
            <Badge tone={ROW_TONE[r.status]}>{ROW_LABEL[r.status]}</Badge>
          </Td>
          <Td>
            {r.lead.name ?? '—'}
            {r.url && <span className="block max-w-56 truncate text-xs text-slate-500">{r.url}</span>}
          </Td>
          <Td>{r.lead.phone ?? '—'}</Td>
          <Td>{r.lead.email ?? '—'}</Td>
          <Td>{r.lead.company ?? '—'}</Td>
          <Td>{r.lead.dealTitle ?? '—'}</Td>
          <Td>{r.lead.dealValueMinor === null ? '—' : formatMoney(r.lead.dealValueMinor, currency ?? 'RON')}</Td>
          <Td className="text-red-800">{r.errors.map((e) => e.message).join(' ')}</Td>
        </tr>
      ))}
    </Table>
  )
}
