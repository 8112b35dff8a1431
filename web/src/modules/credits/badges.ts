import type { Tone } from '../../ui/Badge.tsx'

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

const SURFACES: Record<string, string> = {
  chat: 'Chat',
  boardroom: 'Boardroom',
  v1: 'API (/v1)',
  gateway: 'API (/v1)',
  knowledge: 'Knowledge base',
}
export const surfaceLabel = (surface: string | null) => (surface ? (SURFACES[surface] ?? surface) : '—')
