import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts'
import type { LimitKey } from '../../../contracts/plans.ts'

/** Where a workspace goes to change its plan. */
export const BILLING_PATH = '/app/settings/billing'

const NOUNS: Record<LimitKey, [string, string]> = {
  clients: ['client', 'clients'],
  members: ['member (invitations included)', 'members (invitations included)'],
  customAgents: ['custom agent', 'custom agents'],
  flows: ['flow', 'flows'],
  channelNumbers: ['channel number', 'channel numbers'],
  connectors: ['connector', 'connectors'],
  messagesPerMonth: ['inbox message a month', 'inbox messages a month'],
}

export const limitReached = (f: { limit: LimitKey; max: number; used: number; plan: string; planName: string }) => {
  const [one, many] = NOUNS[f.limit]
  return new AppError(
    402,
    'plan.limit_reached',
    `The ${f.planName} plan allows ${f.max} ${f.max === 1 ? one : many} and this workspace has ${f.used}. Upgrade your plan to add more.`,
    { details: { limit: f.limit, max: f.max, used: f.used, plan: f.plan, upgradeUrl: BILLING_PATH } },
  )
}
export const unknownPlan = (plan: string) => badRequest('plan.unknown', `There is no plan "${plan}" in the catalog.`)
export const managedByStripe = () =>
  conflict(
    'plan.managed_by_stripe',
    'Stripe manages plans on this server: change the plan through a subscription, not locally.',
  )
export const workspaceNotFound = () => notFound('tenancy.workspace_not_found', 'No such workspace.')
