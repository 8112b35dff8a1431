import { own, type Handle } from '../../platform/db/database.ts'
import type { ModuleParts } from '../../platform/modules/module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { inboxRoutes } from './inbox.routes.ts'
import { createInboxService } from './inbox.service.ts'
import type { InboxTables } from './inbox.tables.ts'

/**
 * The inbox (ADR 0005 §2): contacts as WhatsApp knows them, a thread per number and contact, messages in and out —
 * never deleted, stored once, statuses only forward. It receives from the channels module through the receivers it
 * registers there, so neither reads the other's tables.
 */
export const createInboxModule = (deps: { db: Handle; scope: ScopeResolver }) => {
  const inbox = createInboxService({ db: own<InboxTables>(deps.db) })
  return {
    inbox,
    routes: [inboxRoutes({ inbox, scope: deps.scope })],
    jobs: [],
  } satisfies ModuleParts & Record<string, unknown>
}
export type InboxModule = ReturnType<typeof createInboxModule>
