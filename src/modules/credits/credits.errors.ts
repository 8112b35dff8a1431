import { AppError, tooManyRequests } from '../../platform/http/errors.ts'
import { formatCredits } from './pricing.ts'

export type CapScope = {
  scope: 'request' | 'daily' | 'monthly'
  subject: 'workspace' | 'client' | 'user'
  subjectId: string
}

/** Where an agency goes to get more credits; the billing issue puts plans and top-ups behind it. */
export const UPGRADE_PATH = '/app/settings/usage'

export const insufficientCredits = (f: { estimate: bigint; balance: bigint; available: bigint }) =>
  new AppError(
    402,
    'credits.insufficient',
    `This needs about ${formatCredits(f.estimate)} credits and ${formatCredits(f.available)} are available. Top up or upgrade to continue.`,
    {
      details: {
        estimate: Number(f.estimate),
        balance: Number(f.balance),
        available: Number(f.available),
        upgradeUrl: UPGRADE_PATH,
      },
    },
  )

export const capReached = (c: CapScope & { cap: bigint; used: bigint; estimate: bigint }) =>
  new AppError(
    402,
    'credits.cap_reached',
    c.scope === 'request'
      ? `This call may cost ${formatCredits(c.estimate)} credits, above the ${formatCredits(c.cap)} allowed per request.`
      : `The ${c.scope} cap for this ${c.subject} (${formatCredits(c.cap)} credits) would be passed: ${formatCredits(c.used)} used, this call may cost ${formatCredits(c.estimate)}.`,
    {
      details: {
        ...c,
        cap: Number(c.cap),
        used: Number(c.used),
        estimate: Number(c.estimate),
        upgradeUrl: UPGRADE_PATH,
      },
    },
  )

export const throttled = (retryAfterSeconds: number, what: string) =>
  tooManyRequests(
    'credits.throttled',
    retryAfterSeconds,
    `Too many ${what}. Try again in ${Math.max(1, Math.ceil(retryAfterSeconds))} s.`,
  )

export const modelNotInPlan = (modelId: string, plan: string) =>
  new AppError(
    403,
    'model.not_in_plan',
    `The model ${modelId} is not included in the ${plan} plan. Upgrade to use it.`,
    { details: { modelId, plan, upgradeUrl: UPGRADE_PATH } },
  )

export const idempotencyMismatch = () =>
  new AppError(
    409,
    'request.idempotency_mismatch',
    'This request id was already used for a different request. Send a new X-Request-ID.',
  )

export const disputeNotFound = () => new AppError(404, 'credits.dispute_not_found', 'No such dispute.')

export const disputeExists = () =>
  new AppError(
    409,
    'credits.dispute_exists',
    'This charge was already disputed. A charge can be disputed once; the operator’s decision on it stands.',
  )

export const tooManyOpenDisputes = (max: number) =>
  new AppError(
    409,
    'credits.too_many_open_disputes',
    `This workspace already has ${max} open disputes. Wait for the operator to decide some, or withdraw one, before filing another.`,
    { details: { max } },
  )

export const disputeClosed = (status: string) =>
  new AppError(409, 'credits.dispute_resolved', `This dispute was already ${status}.`)
