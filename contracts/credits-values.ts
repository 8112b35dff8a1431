/** The closed sets of the credits API, as plain data shared by the server (zod enums in credits.ts) and the web app. */
export const ENTRY_KINDS = ['grant', 'purchase', 'debit', 'refund', 'adjustment', 'expiry'] as const
export const DISPUTE_STATUSES = ['open', 'approved', 'rejected', 'withdrawn'] as const
export const HOLD_STATUSES = ['pending', 'settled', 'released', 'expired'] as const
