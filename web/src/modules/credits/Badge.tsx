import type { ReactNode } from 'react'

type Tone = 'slate' | 'green' | 'amber' | 'red' | 'indigo' | 'sky'

const TONES: Record<Tone, string> = {
  slate: 'bg-slate-100 text-slate-700',
  green: 'bg-green-100 text-green-800',
  amber: 'bg-amber-100 text-amber-900',
  red: 'bg-red-100 text-red-800',
  indigo: 'bg-indigo-100 text-indigo-800',
  sky: 'bg-sky-100 text-sky-900',
}

export function Badge({ tone = 'slate', children }: { tone?: Tone; children: ReactNode }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${TONES[tone]}`}
    >
      {children}
    </span>
  )
}

export const KIND_TONE: Record<string, Tone> = {
  grant: 'green',
  purchase: 'green',
  debit: 'slate',
  refund: 'sky',
  adjustment: 'amber',
  expiry: 'amber',
}
export const KIND_LABEL: Record<string, string> = {
  grant: 'Grant',
  purchase: 'Purchase',
  debit: 'Charge',
  refund: 'Refund',
  adjustment: 'Adjustment',
  expiry: 'Expiry',
}
export const DISPUTE_TONE: Record<string, Tone> = {
  open: 'amber',
  approved: 'green',
  rejected: 'red',
  withdrawn: 'slate',
}
export const DISPUTE_LABEL: Record<string, string> = {
  open: 'Dispute open',
  approved: 'Refunded',
  rejected: 'Dispute rejected',
  withdrawn: 'Dispute withdrawn',
}
export const HOLD_TONE: Record<string, Tone> = { pending: 'amber', settled: 'slate', released: 'sky', expired: 'red' }

const SURFACES: Record<string, string> = { chat: 'Chat', boardroom: 'Boardroom', v1: 'API (/v1)', gateway: 'API (/v1)' }
export const surfaceLabel = (surface: string | null) => (surface ? (SURFACES[surface] ?? surface) : '—')

/** A column heading aligned with right-aligned figures. */
export const num = (label: string) => (
  <span key={label} className="block text-right">
    {label}
  </span>
)
