import { own, type Handle } from '../../platform/db/database.ts'
import type { FeatureGate } from '../features/features.module.ts'
import type { Egress } from '../../platform/egress/egress.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Metering } from '../credits/credits.module.ts'
import { createActivities } from './activities.ts'
import { aiRoutes } from './ai.routes.ts'
import { createAsker } from './ask.ts'
import type { CampaignInbox } from './campaign-run.ts'
import type { StatusReader } from './campaign-recipients.ts'
import { createCampaigns, type CampaignNumbers } from './campaigns.ts'
import { campaignRoutes } from './campaigns.routes.ts'
import { createBookings, type SourceCheck } from './bookings.ts'
import { bookingRoutes } from './bookings.routes.ts'
import { createCompanies } from './companies.ts'
import { createContacts, type MemberCheck } from './contacts.ts'
import { contactRoutes } from './contacts.routes.ts'
import type { CrmEvents } from './crm.events.ts'
import type { CrmTables } from './crm.tables.ts'
import { createDeals } from './deals.ts'
import { dealRoutes } from './deals.routes.ts'
import { createExports } from './export.ts'
import { exportRoutes } from './export.routes.ts'
import { createExtractor, type CrmModels, type ThreadReader } from './extract.ts'
import { createFieldDefinitions } from './fields.ts'
import { createImports } from './imports.ts'
import { createPageImports } from './imports.pages.ts'
import { importRoutes } from './imports.routes.ts'
import { createIntake } from './intake.ts'
import { createMerges } from './merge.ts'
import { createOptOuts } from './opt-outs.ts'
import { createPipelines } from './pipelines.ts'
import { createCrmSettings } from './settings.ts'
import { setupRoutes } from './setup.routes.ts'
import { createViews } from './views.ts'
import { viewRoutes } from './views.routes.ts'
import { createTimeline, type MessageHistory } from './timeline.ts'

export type { CrmEvents } from './crm.events.ts'

/**
 * The CRM (issue 14, ADR 0006): a client's contacts (E.164 phones, emails, WhatsApp identities, tags, typed custom
 * fields, owner; de-duplicated by unique indexes; merged, archived, never deleted; erased by the operator), companies,
 * pipelines and deals with their stage history, bookings with the contact's profile figures kept in the same
 * transaction, notes, tasks and a timeline that includes the contact's WhatsApp messages (through the inbox's API).
 * Fed by the inbox: `received` is its inbound subscriber (a new WhatsApp identity becomes a contact).
 */
export const createCrmModule = (deps: {
  /** Risky features: campaigns (`campaigns`) and page imports (`page_import`) may be off for a workspace. */
  features: FeatureGate
  db: Handle
  scope: ScopeResolver
  audit: AuditService
  events: Emits<CrmEvents>
  operator: OperatorGuard
  queue: Queue
  /** Tenancy's lookup: a contact's owner must be a member of the workspace. */
  memberOf: MemberCheck
  /** The inbox's public API: a contact's messages, and whether a booking's source messages are the client's. */
  inbox: {
    messages: MessageHistory
    sourceCheck: SourceCheck
    /** A conversation's latest messages, and which client it belongs to (booking extraction). */
    thread: ThreadReader
    clientOfThread: (handle: Handle, threadId: string) => Promise<string | undefined>
    /** Campaigns: messages queued in the CRM's batch transaction, and their delivery statuses read back. */
    broadcast: CampaignInbox['broadcast']
    statuses: StatusReader
  }
  /** The client's WhatsApp numbers (kind, templates): campaigns. */
  numbers: CampaignNumbers
  /** The models a workspace may call and the credits meter: booking extraction and Ask AI (surface `crm`). */
  models: CrmModels
  metering: Metering
  /** The one outbound client for user URLs: pages of a lead import (public addresses only, size and time capped). */
  egress: Egress
}) => {
  const db = own<CrmTables>(deps.db)
  const { audit, events, scope } = deps
  const settings = createCrmSettings({ db, audit })
  const fields = createFieldDefinitions({ db, audit })
  const companies = createCompanies({ db })
  const contacts = createContacts({ db, audit, events, memberOf: deps.memberOf, settings, fields, companies })
  const merges = createMerges({ db, audit })
  const pipelines = createPipelines({ db, audit })
  const deals = createDeals({ db, events })
  const bookings = createBookings({ db, events, fields, sourceCheck: deps.inbox.sourceCheck })
  const activities = createActivities({ db })
  const timeline = createTimeline({ db, messages: deps.inbox.messages })
  const optOuts = createOptOuts({ db, audit })
  const intake = createIntake({ events, optOuts })
  const extractor = createExtractor({
    db,
    models: deps.models,
    metering: deps.metering,
    audit,
    settings,
    thread: deps.inbox.thread,
  })
  const asker = createAsker({ db, models: deps.models, metering: deps.metering, messages: deps.inbox.messages })
  const views = createViews({ db, audit })
  const campaigns = createCampaigns({
    db,
    audit,
    queue: deps.queue,
    numbers: deps.numbers,
    inbox: { broadcast: deps.inbox.broadcast, statuses: deps.inbox.statuses },
    features: deps.features,
  })
  const pages = createPageImports({
    db,
    egress: deps.egress,
    models: deps.models,
    metering: deps.metering,
    settings,
  })
  const imports = createImports({ db, events, audit, queue: deps.queue, settings, pages, features: deps.features })
  return {
    contacts,
    merges,
    pipelines,
    deals,
    bookings,
    activities,
    timeline,
    extractor,
    asker,
    settings,
    fields,
    companies,
    imports,
    views,
    campaigns,
    optOuts,
    /** The inbox's inbound subscriber (`inbox.onInbound`): contacts from new WhatsApp identities, last contact times. */
    received: intake.received,
    routes: [
      setupRoutes({ settings, fields, companies, scope }),
      contactRoutes({ contacts, merges, activities, timeline, scope, operator: deps.operator }),
      dealRoutes({ pipelines, deals, scope }),
      bookingRoutes({ bookings, scope }),
      aiRoutes({
        extractor,
        asker,
        clientOfThread: (threadId) => deps.inbox.clientOfThread(deps.db, threadId),
        clientOfContact: contacts.clientOf,
        scope,
      }),
      importRoutes({ imports, scope }),
      viewRoutes({ views, scope }),
      campaignRoutes({ campaigns, optOuts, clientOfContact: contacts.clientOf, scope }),
      exportRoutes({ exports: createExports({ db, contacts, bookings, audit }), scope }),
    ],
    jobs: [...imports.jobs, ...campaigns.jobs],
  } satisfies ModuleShape
}
export type CrmModule = ReturnType<typeof createCrmModule>
