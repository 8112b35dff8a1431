import { formatCount } from '../../lib/format.ts'
import type { LimitKey, PlanDto } from './api.ts'

const whole = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 })
const cents = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR', minimumFractionDigits: 2 })

/** "€0", "€29", "€29.50": cents only when there are some. */
export const formatPrice = (minor: number) => (minor % 100 === 0 ? whole : cents).format(minor / 100)

/** Each limit, in the order plans are compared, with its label and the noun for "3 of 5 clients". */
export const LIMITS: { key: LimitKey; label: string; noun: string }[] = [
  { key: 'clients', label: 'Clients', noun: 'clients' },
  { key: 'members', label: 'Members', noun: 'members' },
  { key: 'customAgents', label: 'Custom agents', noun: 'custom agents' },
  { key: 'flows', label: 'Flows', noun: 'flows' },
  { key: 'channelNumbers', label: 'Channel numbers', noun: 'channel numbers' },
  { key: 'connectors', label: 'Connectors', noun: 'connectors' },
  { key: 'messagesPerMonth', label: 'Inbox messages per month', noun: 'inbox messages this month' },
]

export const limitLabel = (key: string) => LIMITS.find((l) => l.key === key)?.label ?? key
export const limitValue = (n: number | null) => (n === null ? 'Unlimited' : formatCount(n))

const TIERS: Record<string, string> = { standard: 'Standard models', advanced: 'Advanced models' }
export const tiersLabel = (tiers: PlanDto['modelTiers']) => tiers.map((t) => TIERS[t] ?? t).join(' and ') || 'No models'

export const isFree = (plan: PlanDto) => plan.priceMonthlyCents === 0
