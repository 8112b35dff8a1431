/** Credits: balance, usage, ledger, caps, disputes; the estimate and balance other features show. */
export { UsagePage } from './UsagePage.tsx'
export { CapWarnings } from './CapWarnings.tsx'
export { DISPUTE_STATUSES, estimate } from './api.ts'
export { DISPUTE_TONE } from './badges.ts'
export { useBalance } from './queries.ts'
