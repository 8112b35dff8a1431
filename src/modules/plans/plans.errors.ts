import { defineErrors } from '../../platform/http/errors.ts'
import { BILLING_PATH } from '../../../contracts/app-paths.ts'
import type { LimitKey } from '../../../contracts/plans.ts'

/** Where a workspace goes to change its plan. */
export { BILLING_PATH }

const NOUNS: Record<LimitKey, [string, string]> = {
  clients: ['client', 'clients'],
  members: ['member (invitations included)', 'members (invitations included)'],
  customAgents: ['custom agent', 'custom agents'],
  flows: ['flow', 'flows'],
  channelNumbers: ['channel number', 'channel numbers'],
  connectors: ['connector', 'connectors'],
  messagesPerMonth: ['inbox message a month', 'inbox messages a month'],
}

export const plansErrors = defineErrors('plan', {
  limit_reached: {
    status: 402,
    when: "Adding one more (client, member, custom agent, …) would pass a limit of the workspace's plan.",
    message: (f: { limit: LimitKey; max: number; used: number; plan: string; planName: string }) =>
      `The ${f.planName} plan allows ${f.max} ${f.max === 1 ? NOUNS[f.limit][0] : NOUNS[f.limit][1]} and this ` +
      `workspace has ${f.used}. Upgrade your plan to add more.`,
    details: (f) => ({ limit: f.limit, max: f.max, used: f.used, plan: f.plan, upgradeUrl: BILLING_PATH }),
  },
  unknown: {
    status: 400,
    when: 'The operator names a plan that is not in the catalog.',
    message: (p: { plan: string }) => `There is no plan "${p.plan}" in the catalog.`,
  },
  managed_by_stripe: {
    status: 409,
    message: 'Stripe manages plans on this server: change the plan through a subscription, not locally.',
  },
})
