import type { Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Catalog, WorkspacePlans } from '../plans/plans.module.ts'
import type { StripeClient } from './stripe-client.ts'
import {
  HANDLED_EVENT_TYPES,
  PAID_STATUSES,
  parseSubscription,
  subscriptionState,
  type Subscription,
  type SubscriptionSync,
} from './stripe-events.handlers.ts'
import { stripeEventsRepository as events } from './stripe-events.repository.ts'
import type { StripeWebhooks } from './stripe-webhooks.service.ts'
import { subscriptionsErrors } from './subscriptions.errors.ts'
import { subscriptionsRepository as subs } from './subscriptions.repository.ts'

const HOUR = 3600
const DAY = 24 * HOUR
/** Events created this long before the newest stored one are looked at again (delivery order is not creation order). */
const SAFETY_MARGIN_SECONDS = HOUR
/**
 * Every run looks back at least this far, so an event whose delivery failed while later ones got through is still
 * found (the newest stored event alone would move the window past it); runs are hourly, a day leaves room for misses.
 */
const MIN_LOOKBACK_SECONDS = DAY
/** With nothing stored yet, how far back to look. */
const FIRST_LOOKBACK_SECONDS = 3 * DAY
/** Stripe keeps events for 30 days. */
const MAX_LOOKBACK_SECONDS = 30 * DAY
const PAGE = 100
/** Subscription statuses that will not come back: a newer live subscription is preferred over them. */
const ENDED_STATUSES = new Set(['canceled', 'incomplete_expired'])

export type DriftRepairResult = {
  eventsRecovered: number
  subscriptionsChecked: number
  subscriptionsRepaired: number
  failed: number
}

type Deps = {
  db: Kysely<SubscriptionsTables>
  stripe: StripeClient
  catalog: Catalog
  workspaces: WorkspacePlans
  audit: AuditService
  webhooks: Pick<StripeWebhooks, 'store'>
  sync: SubscriptionSync
  enabled: boolean
  now?: () => Date
}

/** The window start (Unix seconds) for listing events, from the newest stored event's `created`. */
export const recoveryWindowStart = (nowSeconds: number, newestStored: number | undefined) => {
  const since =
    newestStored === undefined
      ? nowSeconds - FIRST_LOOKBACK_SECONDS
      : Math.min(newestStored - SAFETY_MARGIN_SECONDS, nowSeconds - MIN_LOOKBACK_SECONDS)
  return Math.max(since, nowSeconds - MAX_LOOKBACK_SECONDS)
}

/** The subscription that decides the workspace's state: the newest paying one, else the newest live one, else the stored one. */
const relevant = (list: Subscription[], storedId: string | null) =>
  list.find((s) => PAID_STATUSES.has(s.status)) ??
  list.find((s) => !ENDED_STATUSES.has(s.status)) ??
  list.find((s) => s.id === storedId)

const time = (d: Date | null) => d?.getTime() ?? null

/**
 * Drift repair: converges our copy on Stripe's when a webhook never arrived. Recovers events Stripe sent but we never
 * stored (stored and enqueued exactly as a delivery is, so their handlers — and any credits — run once), and compares
 * each linked workspace's subscription with Stripe's, applying the handlers' own sync where they differ (no credits
 * are ever granted here). Safe to run any number of times, and concurrently with itself and with event processing.
 */
export const createStripeDrift = ({
  db,
  stripe,
  catalog,
  workspaces,
  audit,
  webhooks,
  sync,
  enabled,
  now = () => new Date(),
}: Deps) => {
  /** Lists the handled events of the window (newest first, every page) and stores those we do not have. */
  const recoverEvents = async () => {
    const nowSeconds = Math.floor(now().getTime() / 1000)
    const since = recoveryWindowStart(nowSeconds, await events.newestCreated(db))
    const handled = new Set<string>(HANDLED_EVENT_TYPES)
    const found: { id: string; type: string; payload: unknown }[] = []
    try {
      for await (const event of stripe.events.list({
        created: { gte: since },
        types: [...HANDLED_EVENT_TYPES],
        limit: PAGE,
      })) {
        // The API's copy is authentic (no signature to check); stored as a delivery's body would be.
        if (handled.has(event.type))
          found.push({ id: event.id, type: event.type, payload: JSON.parse(JSON.stringify(event)) as unknown })
      }
    } catch {
      throw subscriptionsErrors.stripe_unavailable()
    }
    let recovered = 0
    for (let i = 0; i < found.length; i += PAGE) {
      const batch = found.slice(i, i + PAGE)
      const stored = await events.existing(
        db,
        batch.map((e) => e.id),
      )
      // Oldest first, as Stripe sent them; `store` is the webhook's own insert + enqueue (a concurrent delivery wins harmlessly).
      for (const event of batch.filter((e) => !stored.has(e.id)).reverse()) if (await webhooks.store(event)) recovered++
    }
    return recovered
  }

  /** Compares one link with Stripe and repairs it; true when something was written. */
  const repairOne = async (row: Awaited<ReturnType<typeof subs.page>>[number]) => {
    const fetchedAt = now()
    const list = await stripe.subscriptions.list({ customer: row.stripeCustomerId, status: 'all', limit: PAGE })
    const all = list.data.map(parseSubscription)
    let sub = relevant(all, row.stripeSubscriptionId)
    if (!sub && row.stripeSubscriptionId && !all.some((s) => s.id === row.stripeSubscriptionId)) {
      sub = parseSubscription(await stripe.subscriptions.retrieve(row.stripeSubscriptionId))
    }
    if (!sub) return false // a customer that never subscribed (or none Stripe still knows): nothing to compare
    const target = sub
    const state = subscriptionState(catalog, target)

    return db.transaction().execute(async (trx) => {
      // The workspace row lock the handlers' sync takes too: a concurrent event is applied before or after us, never between.
      const workspacePlan = await workspaces.lockPlan(trx, row.workspaceId)
      if (workspacePlan === undefined) return false
      const current = await subs.byWorkspace(trx, row.workspaceId)
      // Written since we read it (an event was processed meanwhile): its state is as fresh as ours; the next run looks again.
      if (!current || time(current.updatedAt) !== time(row.updatedAt)) return false
      const same =
        current.stripeSubscriptionId === target.id &&
        current.status === target.status &&
        current.plan === state.plan.id &&
        time(current.currentPeriodEnd) === time(state.currentPeriodEnd) &&
        workspacePlan === state.effectivePlan
      if (same) return false
      await sync(trx, row.workspaceId, target, fetchedAt)
      await audit.record(trx, {
        action: 'subscription.drift_repaired',
        workspaceId: row.workspaceId,
        targetType: 'workspace',
        targetId: row.workspaceId,
        metadata: {
          before: {
            subscriptionId: current.stripeSubscriptionId,
            status: current.status,
            plan: current.plan,
            currentPeriodEnd: current.currentPeriodEnd?.toISOString() ?? null,
            workspacePlan,
          },
          after: {
            subscriptionId: target.id,
            status: target.status,
            plan: state.plan.id,
            currentPeriodEnd: state.currentPeriodEnd?.toISOString() ?? null,
            workspacePlan: state.effectivePlan,
          },
        },
      })
      return true
    })
  }

  const repairSubscriptions = async () => {
    const counts = { subscriptionsChecked: 0, subscriptionsRepaired: 0, failed: 0 }
    let after: string | undefined
    for (;;) {
      const rows = await subs.page(db, { after, limit: PAGE })
      for (const row of rows) {
        counts.subscriptionsChecked++
        try {
          if (await repairOne(row)) counts.subscriptionsRepaired++
        } catch (err) {
          // One bad link (an unknown price, a deleted customer) does not stop the others.
          counts.failed++
          console.error(
            `[subscriptions] drift repair failed for workspace ${row.workspaceId}:`,
            err instanceof Error ? err.message : err,
          )
        }
      }
      if (rows.length < PAGE) break
      after = rows.at(-1)!.workspaceId
    }
    return counts
  }

  return {
    enabled,
    /** Recovers missed events, then repairs subscriptions; the counts. 409 without Stripe, 502 when Stripe cannot list events. */
    async run(): Promise<DriftRepairResult> {
      if (!enabled) throw subscriptionsErrors.not_configured({ missing: 'STRIPE_SECRET_KEY' })
      const eventsRecovered = await recoverEvents()
      return { eventsRecovered, ...(await repairSubscriptions()) }
    },
  }
}
export type StripeDrift = ReturnType<typeof createStripeDrift>
