import { own, type Handle } from '../../platform/db/database.ts'
import type { ModuleParts } from '../../platform/modules/module.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { Sender } from '../channels/sender.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import { createOutbox, sentThisMonth } from './outbox.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { inboxRoutes } from './inbox.routes.ts'
import { createInboxService } from './inbox.service.ts'
import type { InboxTables } from './inbox.tables.ts'

/**
 * The inbox (ADR 0005 §2): contacts as WhatsApp knows them, a thread per number and contact, messages in and out —
 * never deleted, stored once, statuses only forward. It receives from the channels module through the receivers it
 * registers there, so neither reads the other's tables.
 */
export const createInboxModule = (deps: {
  db: Handle
  scope: ScopeResolver
  queue: Queue
  sender: Sender
  entitlements: Entitlements
}) => {
  const db = own<InboxTables>(deps.db)
  const inbox = createInboxService({ db })
  const outbox = createOutbox({ db, queue: deps.queue, sender: deps.sender, entitlements: deps.entitlements })
  return {
    inbox,
    outbox,
    routes: [inboxRoutes({ inbox, outbox, scope: deps.scope })],
    jobs: outbox.jobs,
  } satisfies ModuleParts & Record<string, unknown>
}

/** What the inbox counts against a plan: messages sent from Camarad this calendar month. */
export const inboxUsage = { messagesPerMonth: sentThisMonth }
export type InboxModule = ReturnType<typeof createInboxModule>
