import { Link } from 'react-router'
import { Badge } from '../../ui/Badge.tsx'
import { Select } from '../../ui/Input.tsx'
import type { Deal, Pipeline } from './api.ts'
import { contactPath, formatMoney } from './format.ts'

type Props = {
  deal: Deal
  contactName: string | undefined
  stages: Pipeline['stages']
  canMove: boolean
  onMove: (stageId: string) => void
  onDragStart: () => void
  onDragEnd: () => void
}

/** A deal on the board: draggable, with a "Move to…" menu as the keyboard way to move it. */
export function DealCard({ deal: d, contactName, stages, canMove, onMove, onDragStart, onDragEnd }: Props) {
  return (
    <li
      data-testid="deal-card"
      draggable={canMove}
      onDragStart={(e) => {
        e.dataTransfer.setData('text/plain', d.id)
        e.dataTransfer.effectAllowed = 'move'
        onDragStart()
      }}
      onDragEnd={onDragEnd}
      className="rounded-md border border-slate-200 bg-white p-3 shadow-sm data-[draggable=true]:cursor-grab"
      data-draggable={canMove}
    >
      <p className="font-medium break-words text-slate-900">{d.title}</p>
      <p className="text-sm text-slate-700">{formatMoney(d.valueMinor, d.currency)}</p>
      <Link to={contactPath(d.contactId)} className="text-sm break-words text-indigo-700 hover:underline">
        {contactName ?? 'Contact'}
      </Link>
      {d.status !== 'open' && (
        <p className="mt-1">
          <Badge tone={d.status === 'won' ? 'green' : 'red'}>{d.status === 'won' ? 'Won' : 'Lost'}</Badge>
          {d.lostReason && <span className="ml-1 text-xs text-slate-500">{d.lostReason}</span>}
        </p>
      )}
      {canMove && (
        <Select
          aria-label={`Move ${d.title} to`}
          value=""
          onChange={(e) => e.target.value && onMove(e.target.value)}
          className="mt-2 py-1 text-xs"
        >
          <option value="">Move to…</option>
          {stages
            .filter((s) => s.id !== d.stageId)
            .map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
        </Select>
      )}
    </li>
  )
}
