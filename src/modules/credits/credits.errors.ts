import { defineErrors } from '../../platform/http/errors.ts'
import { retryAfter } from '../../platform/http/http.errors.ts'
import { USAGE_PATH } from '../../../contracts/app-paths.ts'
import { formatCredits } from './pricing.ts'

export type CapScope = {
  scope: 'request' | 'daily' | 'monthly'
  subject: 'workspace' | 'client' | 'user'
  subjectId: string
}

/** Where an agency goes to get more credits; the billing issue puts plans and top-ups behind it. */
export const UPGRADE_PATH = USAGE_PATH

export const creditsErrors = defineErrors('credits', {
  insufficient: {
    status: 402,
    when: 'A model call needs more credits than the workspace has available (balance minus holds).',
    message: (f: { estimate: bigint; balance: bigint; available: bigint }) =>
      `This needs about ${formatCredits(f.estimate)} credits and ${formatCredits(f.available)} are available. Top up or upgrade to continue.`,
    details: (f) => ({
      estimate: Number(f.estimate),
      balance: Number(f.balance),
      available: Number(f.available),
      upgradeUrl: UPGRADE_PATH,
    }),
  },
  insufficient_to_debit: {
    code: 'insufficient',
    status: 409,
    when: 'A ledger debit (an operator adjustment) would take more credits than are available.',
    message: 'That would take more credits than are available.',
    details: (p: { available: number }) => ({ available: p.available }),
  },
  cap_reached: {
    status: 402,
    when: 'A call would pass a per-request cap, or a daily or monthly cap of the workspace, a client or a user.',
    message: (c: CapScope & { cap: bigint; used: bigint; estimate: bigint }) =>
      c.scope === 'request'
        ? `This call may cost ${formatCredits(c.estimate)} credits, above the ${formatCredits(c.cap)} allowed per request.`
        : `The ${c.scope} cap for this ${c.subject} (${formatCredits(c.cap)} credits) would be passed: ` +
          `${formatCredits(c.used)} used, this call may cost ${formatCredits(c.estimate)}.`,
    details: (c) => ({
      ...c,
      cap: Number(c.cap),
      used: Number(c.used),
      estimate: Number(c.estimate),
      upgradeUrl: UPGRADE_PATH,
    }),
  },
  throttled: {
    status: 429,
    when: 'Too many AI requests per minute from a user or a workspace, or too many answers streaming at once.',
    message: (p: { retryAfterSeconds: number; what: string }) =>
      `Too many ${p.what}. Try again in ${Math.max(1, Math.ceil(p.retryAfterSeconds))} s.`,
    ...retryAfter,
  },
  hold_failed: { status: 409, message: 'The hold could not be placed.' },
  hold_unavailable: {
    code: 'hold_failed',
    status: 503,
    when: 'A running answer could not hold credits for its next step.',
    message: 'Credits for the next step could not be held.',
  },
  hold_not_found: { status: 404, message: 'No such hold.' },
  entry_not_found: { status: 404, message: 'No such ledger entry.' },
  not_disputable: { status: 400, message: 'Only a debit that charged credits can be disputed.' },
  dispute_not_found: { status: 404, message: 'No such dispute.' },
  dispute_exists: {
    status: 409,
    message: 'This charge was already disputed. A charge can be disputed once; the operator’s decision on it stands.',
  },
  too_many_open_disputes: {
    status: 409,
    when: 'The workspace already has the maximum number of open disputes.',
    message: (p: { max: number }) =>
      `This workspace already has ${p.max} open disputes. Wait for the operator to decide some, or withdraw one, before filing another.`,
    details: (p) => ({ max: p.max }),
  },
  dispute_resolved: {
    status: 409,
    when: 'The dispute was already accepted, rejected or withdrawn.',
    message: (p: { status: string }) => `This dispute was already ${p.status}.`,
  },
  invalid_range: { status: 400, message: '`from` must be before `to`.' },
  invalid_month: { status: 400, message: 'Months are YYYY-MM.' },
  invalid_amount: { status: 400, message: 'The amount rounds to zero micro-credits.' },
  estimate_needs_agent: { status: 400, message: 'Send a conversationId or an agentId to estimate for.' },
})

/** The plan's model tiers, checked by metering before a call. */
export const modelAccessErrors = defineErrors('model', {
  not_in_plan: {
    status: 403,
    when: "The model's tier is not included in the workspace's plan.",
    message: (p: { modelId: string; plan: string }) =>
      `The model ${p.modelId} is not included in the ${p.plan} plan. Upgrade to use it.`,
    details: (p) => ({ modelId: p.modelId, plan: p.plan, upgradeUrl: UPGRADE_PATH }),
  },
})
