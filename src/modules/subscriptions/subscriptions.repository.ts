import { sql, type Kysely } from 'kysely'
import type { SubscriptionsTables } from './subscriptions.tables.ts'

/** A workspace's link to its Stripe customer and subscription, as Stripe last reported it. */
export const subscriptionsRepository = {
  byCustomer: (db: Kysely<SubscriptionsTables>, customerId: string) =>
    db.selectFrom('workspaceSubscriptions').selectAll().where('stripeCustomerId', '=', customerId).executeTakeFirst(),

  byWorkspace: (db: Kysely<SubscriptionsTables>, workspaceId: string) =>
    db.selectFrom('workspaceSubscriptions').selectAll().where('workspaceId', '=', workspaceId).executeTakeFirst(),

  /** Links ordered by workspace id, `limit` at a time after the workspace id `after` (keyset paging). */
  page: (db: Kysely<SubscriptionsTables>, q: { after?: string | undefined; limit: number }) => {
    let query = db.selectFrom('workspaceSubscriptions').selectAll().orderBy('workspaceId').limit(q.limit)
    if (q.after) query = query.where('workspaceId', '>', q.after)
    return query.execute()
  },

  /** Links the customer to the workspace (first link wins for the customer id; the rest follows Stripe). */
  async link(db: Kysely<SubscriptionsTables>, workspaceId: string, customerId: string) {
    await db
      .insertInto('workspaceSubscriptions')
      .values({ workspaceId, stripeCustomerId: customerId })
      .onConflict((oc) => oc.column('workspaceId').doUpdateSet({ stripeCustomerId: customerId, updatedAt: new Date() }))
      .execute()
  },

  async save(
    db: Kysely<SubscriptionsTables>,
    row: {
      workspaceId: string
      customerId: string
      subscriptionId: string
      status: string
      plan: string
      currentPeriodEnd: Date | null
      eventCreated: Date
    },
  ) {
    const values = {
      workspaceId: row.workspaceId,
      stripeCustomerId: row.customerId,
      stripeSubscriptionId: row.subscriptionId,
      status: row.status,
      plan: row.plan,
      currentPeriodEnd: row.currentPeriodEnd,
      updatedFromEventCreated: row.eventCreated,
      updatedAt: new Date(),
    }
    await db
      .insertInto('workspaceSubscriptions')
      .values(values)
      .onConflict((oc) =>
        oc.column('workspaceId').doUpdateSet({
          ...values,
          updatedFromEventCreated: sql<Date>`greatest(workspace_subscriptions.updated_from_event_created, excluded.updated_from_event_created)`,
        }),
      )
      .execute()
  },
}
