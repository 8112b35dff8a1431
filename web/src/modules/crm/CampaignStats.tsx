import { formatCount } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import type { Tone } from '../../ui/Badge.tsx'
import type { Campaign, RecipientState } from './campaigns-api.ts'

const STATUS: Record<Campaign['status'], [string, Tone]> = {
  draft: ['Draft', 'slate'],
  sending: ['Sending', 'sky'],
  done: ['Done', 'green'],
  cancelled: ['Cancelled', 'amber'],
}

export function CampaignStatusBadge({ status }: { status: Campaign['status'] }) {
  const [label, tone] = STATUS[status]
  return <Badge tone={tone}>{label}</Badge>
}

export const RECIPIENT_STATES: Record<RecipientState, [string, Tone]> = {
  pending: ['Waiting', 'slate'],
  queued: ['In the outbox', 'sky'],
  sent: ['Sent', 'indigo'],
  delivered: ['Delivered', 'green'],
  read: ['Read', 'green'],
  failed: ['Failed', 'red'],
  skipped: ['Skipped', 'amber'],
}

export const SKIP_REASONS: Record<string, string> = {
  opted_out: 'Opted out (STOP)',
  no_whatsapp: 'No WhatsApp address',
  plan_limit: "Plan's monthly messages used up",
  window_closed: '24-hour window closed',
  cancelled: 'Campaign cancelled',
}

/** A campaign's recipients by state, as tiles. */
export function CampaignStatTiles({ stats }: { stats: NonNullable<Campaign['stats']> }) {
  const tiles: [RecipientState | 'total', number][] = [
    ['total', stats.total],
    ['pending', stats.pending],
    ['queued', stats.queued],
    ['sent', stats.sent],
    ['delivered', stats.delivered],
    ['read', stats.read],
    ['failed', stats.failed],
    ['skipped', stats.skipped],
  ]
  const skipped = Object.entries(stats.skippedBy).filter(([, n]) => n)
  return (
    <div>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {tiles.map(([key, n]) => (
          <div key={key} className="rounded-lg border border-slate-200 bg-white p-3">
            <dt className="text-xs text-slate-500">{key === 'total' ? 'Recipients' : RECIPIENT_STATES[key][0]}</dt>
            <dd className="text-xl font-semibold text-slate-900 tabular-nums">{formatCount(n)}</dd>
          </div>
        ))}
      </dl>
      {skipped.length > 0 && (
        <p className="mt-2 text-xs text-slate-600">
          Skipped: {skipped.map(([reason, n]) => `${SKIP_REASONS[reason] ?? reason} ${formatCount(n)}`).join(' · ')}
        </p>
      )}
    </div>
  )
}
