import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { databaseOptions, type Config } from './config.ts'
import type { ClientScope, WorkspaceScope } from './platform/http/request-context.ts'
import { createDatabase } from './platform/db/database.ts'
import type { DB } from './schema.ts'
import { migrateToLatest } from './platform/db/migrator.ts'
import { createMemoryCounterStore, createRedisCounterStore } from './platform/http/counter-store.ts'
import { createMetrics } from './platform/observability/metrics.ts'
import { createQueue } from './platform/queue/queue.ts'
import { createEventBus } from './platform/events/events.ts'
import { createAuditModule } from './modules/audit/audit.module.ts'
import { createLegalModule } from './modules/legal/legal.module.ts'
import { createOpsModule } from './modules/ops/ops.module.ts'
import type { ModuleParts } from './platform/modules/module.ts'
import { createIdentityModule, type IdentityEvents } from './modules/identity/identity.module.ts'
import { createBus } from './platform/realtime/bus.ts'
import { createInvalidations } from './platform/cache/who-cache.ts'
import { createRuns } from './platform/runs/runs.ts'
import { createRunStreams } from './platform/runs/run-stream.ts'
import { sql } from 'kysely'
import { createMailModule } from './modules/mail/mail.module.ts'
import {
  createTenancyModule,
  firstOwnedWorkspace,
  tenancyLookups,
  tenancyUsage,
  workspacePlans,
  type TenancyEvents,
} from './modules/tenancy/tenancy.module.ts'
import { createPlansModule } from './modules/plans/plans.module.ts'
import { createModelsModule, createProviderKeyStore, providerSettingsFrom } from './modules/models/models.module.ts'
import { createSecretBox } from './platform/crypto/secret-box.ts'
import { AppError } from './platform/http/errors.ts'
import { agentsUsage, assembleSystemPrompt, createAgentsModule } from './modules/agents/agents.module.ts'
import { createFlowsModule, flowsUsage } from './modules/flows/flows.module.ts'
import { channelsUsage, createChannelsModule } from './modules/channels/channels.module.ts'
import {
  clientOfThread,
  contactMessages,
  createInboxModule,
  inboxUsage,
  messagesInThread,
  messageStatuses,
  threadMessages,
} from './modules/inbox/inbox.module.ts'
import { createCrmModule, type CrmEvents } from './modules/crm/crm.module.ts'
import type { QrSocketFactory } from './modules/channels/qr/socket.ts'
import { createChatModule } from './modules/chat/chat.module.ts'
import { createGatewayModule } from './modules/gateway/gateway.module.ts'
import { createBoardroomModule } from './modules/boardroom/boardroom.module.ts'
import { createPublicModule } from './modules/public/public.module.ts'
import { createToolsModule } from './modules/tools/tools.module.ts'
import { createEgress, type EgressOptions } from './platform/egress/egress.ts'
import { operatorGuard } from './platform/http/operator.ts'
import { createCreditsModule } from './modules/credits/credits.module.ts'
import { createBillingModule } from './modules/billing/billing.module.ts'
import { createSubscriptionsModule } from './modules/subscriptions/subscriptions.module.ts'
import {
  connectorsSettingsFrom,
  connectorsUsage,
  createConnectorsModule,
} from './modules/connectors/connectors.module.ts'
import { createKnowledgeModule, prepareKnowledgeVectors } from './modules/knowledge/knowledge.module.ts'
import { createFeaturesModule } from './modules/features/features.module.ts'
import { alertDrafts, createAlertsModule } from './modules/alerts/alerts.module.ts'
import { createRateLimitAlerts } from './modules/alerts/rate-limited.ts'

/** Jobs that existed in an earlier release: their schedules are removed at start (no queue works them any more). */
// `inbox.send-message`: a job per outbound message until the outbox's dispatcher (it claims queued rows itself, so a
// job left in the queue by an earlier release changes nothing: its message is sent once by the dispatcher).
export const RETIRED_JOBS = ['chat.sweep-stale-runs', 'boardroom.sweep-stale-meetings', 'inbox.send-message']

export type ContainerOptions = {
  migrate?: boolean
  supervise?: boolean
  /** Tests and the e2e stand-in only: the WhatsApp Web socket QR numbers connect through (default: Baileys). */
  qrSocketFactory?: () => Promise<QrSocketFactory>
  /** Tests and the e2e stand-in only: where QR numbers' media files are fetched (default: WhatsApp's media host). */
  whatsappMediaOrigin?: string
  /** Tests only: how the egress guard resolves names (instead of DNS). */
  egressLookup?: EgressOptions['lookup']
  /** Tests only: an embedded database starts from this dump of an already migrated one (it still migrates). */
  pgliteSnapshot?: Blob
}

/** The composition root: one line per module, dependencies passed as arguments. */
export const createContainer = async (config: Config, options: ContainerOptions = {}) => {
  const database = await createDatabase<DB>({ ...databaseOptions(config), loadDataDir: options.pgliteSnapshot })
  if (options.migrate ?? true) await migrateToLatest(database.db)
  const db = database.db
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 })
    : undefined
  const counters = redis ? createRedisCounterStore(redis) : createMemoryCounterStore()
  const queue = await createQueue(database, { supervise: options.supervise ?? config.RUN_WORKER })
  const metrics = createMetrics(queue)
  // Live events across processes: Redis pub/sub, else PostgreSQL LISTEN/NOTIFY, else in memory (PGlite, one process).
  const bus = await createBus({
    redis,
    connectionString: database.kind === 'postgres' ? database.connectionString : undefined,
    notify: (channel, payload) => sql`select pg_notify(${channel}, ${payload})`.execute(db),
  })
  const runs = createRuns({ db, bus })
  // Who-you-are caches (tokens, roles, provider keys) learn from the database's own triggers what changed (ADR 0009).
  const invalidations = await createInvalidations(database)
  await runs.listen()
  const streams = createRunStreams({ feed: runs.feed, counters, maxPerUser: config.SSE_MAX_STREAMS_PER_USER })
  const auditModule = createAuditModule()
  const audit = auditModule.audit
  const operator = operatorGuard(config.INTERNAL_TOKEN)
  const mail = createMailModule({ db, queue, operator, config })
  // Modules tell each other what happened through one in-process bus, inside the emitting transaction.
  const events = createEventBus<IdentityEvents & TenancyEvents & CrmEvents>()
  const identity = createIdentityModule({
    db,
    audit,
    invalidations,
    counters,
    sessionTtlDays: config.SESSION_TTL_DAYS,
    publicUrl: config.publicUrl,
    google: config.google,
    mail: mail.mail,
    events,
    throttle: {
      maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxAttemptsPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
      windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
      maxSignupsPerIpPerHour: config.SIGNUP_MAX_PER_IP_PER_HOUR,
    },
  })
  // Alerts first: the modules built below raise through it (webhooks posted through the egress guard, no redirects).
  const alerts = createAlertsModule({
    db,
    bus,
    queue,
    box: createSecretBox(config.secretKey),
    audit,
    egress: createEgress({
      allowPrivate: config.EGRESS_ALLOW_PRIVATE,
      lookup: options.egressLookup,
      timeoutMs: 10_000,
      maxRedirects: 0,
    }),
    publicUrl: config.publicUrl,
  })
  const plans = createPlansModule({
    db,
    config,
    onLimitReached: (workspaceId, d) => alerts.raiseQuietly(alertDrafts.planLimit(workspaceId, d)),
    workspaces: workspacePlans,
    usage: { ...tenancyUsage, ...agentsUsage, ...flowsUsage, ...channelsUsage, ...inboxUsage, ...connectorsUsage },
  })
  const tenancy = createTenancyModule({
    invalidations,
    db,
    audit,
    queue,
    identity: identity.identity,
    publicUrl: config.publicUrl,
    invitationTtlDays: config.INVITATION_TTL_DAYS,
    events,
    entitlements: plans.entitlements,
    mail: mail.mail,
    counters,
  })
  const egress = { allowPrivate: config.EGRESS_ALLOW_PRIVATE, lookup: options.egressLookup }
  // Model calls stream for minutes: the whole exchange within 15 minutes (the longest an answer runs) and 64 MiB.
  const providerEgress = createEgress({ ...egress, timeoutMs: 15 * 60_000, maxBytes: 64 * 1024 * 1024 })
  const models = createModelsModule(providerSettingsFrom(config), {
    keys: createProviderKeyStore({ db, box: createSecretBox(config.secretKey), guard: providerEgress }),
    scope: tenancy.scope,
    invalidations,
  })
  const credits = createCreditsModule({
    db,
    invalidations,
    audit,
    counters,
    scope: tenancy.scope,
    operator,
    config,
    catalog: models.priceableModel,
    allowsModelTier: plans.entitlements.allowsModelTier,
    isEmailVerified: identity.isEmailVerified,
    firstOwnedWorkspace,
    tenancy: { ...tenancyLookups, planOf: workspacePlans.planOf },
    recordCall: models.recordCall,
  })
  const planning = plans.connect({
    audit,
    ledger: credits.ledger,
    scope: tenancy.scope,
    operator,
    isEmailVerified: identity.isEmailVerified,
  })
  events.on('workspace.created', credits.onWorkspaceCreated)
  events.on('email.verified', credits.onEmailVerified)
  await credits.book.syncCatalog(models.allModels())
  const billing = createBillingModule({
    db,
    book: credits.book,
    ledger: credits.ledger,
    audit,
    queue,
    metrics,
    operator,
    config,
    catalog: models.priceableModel,
    raiseAlert: (trx, a) => alerts.raise(trx, alertDrafts.margin(a)),
  })
  const subscriptions = createSubscriptionsModule({
    db,
    queue,
    operator,
    audit,
    catalog: plans.catalog,
    workspaces: workspacePlans,
    ledger: credits.ledger,
    scope: tenancy.scope,
    config,
  })
  const agents = createAgentsModule({
    db,
    scope: tenancy.scope,
    isKnownModel: async (workspaceId, id) => Boolean((await models.forWorkspace(workspaceId)).find(id)),
    entitlements: plans.entitlements,
    audit,
  })
  /** An agent's system prompt for a client (no tools) and its preferred model: what flows and the inbox call models with. */
  const agentPrompt = async (scope: ClientScope, agentId: string) => {
    const a = await agents.agents.resolve(scope, agentId)
    const system = assembleSystemPrompt(a.prompt, {
      workspaceName: (await tenancy.tenancy.getWorkspace(scope)).name,
      client: await tenancyLookups.clientProfile(db, scope),
      tools: [],
      today: new Date(),
    })
    return { system, modelId: a.dto.modelId, tier: a.tier }
  }
  const flows = createFlowsModule({
    db,
    scope: tenancy.scope,
    audit,
    entitlements: plans.entitlements,
    runs,
    bus,
    queue,
    streams,
    egress: createEgress({ ...egress, timeoutMs: 5 * 60_000 }),
    box: createSecretBox(config.secretKey),
    mail: mail.mail,
    publicUrl: config.publicUrl,
    stillAllowed: tenancy.scope.stillAllowed,
    models,
    metering: credits.metering,
    agent: agentPrompt,
    settings: {
      leaseMs: config.FLOW_LEASE_SECONDS * 1000,
      reapMs: config.FLOW_REAP_SECONDS * 1000,
      concurrencyPerWorkspace: config.FLOW_CONCURRENCY_PER_WORKSPACE,
      retentionDays: config.FLOW_RUN_RETENTION_DAYS,
    },
    onFailing: (d) => alerts.raiseQuietly(alertDrafts.flowFailing(d)),
  })
  const features = createFeaturesModule({
    db,
    audit,
    scope: tenancy.scope,
    operator,
    workspaceExists: tenancyLookups.workspaceExists,
    off: config.FEATURES_OFF,
  })
  const channels = createChannelsModule({
    db,
    features,
    box: createSecretBox(config.secretKey),
    audit,
    entitlements: plans.entitlements,
    scope: tenancy.scope,
    bus,
    agentExists: async (scope, agentId) =>
      agents.agents.resolve(scope, agentId).then(
        () => true,
        (err: unknown) => {
          if (err instanceof AppError && err.code === 'agents.not_found') return false
          throw err
        },
      ),
    qr: {
      leaseMs: config.WHATSAPP_QR_LEASE_SECONDS * 1000,
      socketFactory: options.qrSocketFactory,
      mediaOrigin: options.whatsappMediaOrigin,
    },
    cloud: {
      appSecrets: (config.WHATSAPP_APP_SECRET ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
      verifyToken: config.WHATSAPP_VERIFY_TOKEN,
      graphBase: config.WHATSAPP_GRAPH_API_BASE,
      graphVersion: config.WHATSAPP_GRAPH_API_VERSION,
    },
    onDisconnected: (d) => alerts.raiseQuietly(alertDrafts.numberDisconnected(d)),
  })
  const inbox = createInboxModule({
    db,
    features,
    scope: tenancy.scope,
    sender: channels.sender,
    media: channels.media,
    mediaMaxBytes: config.WHATSAPP_MEDIA_MAX_BYTES,
    channels: { list: channels.channels.list, limits: channels.limits, autoReply: channels.autoReply },
    queue,
    entitlements: plans.entitlements,
    bus,
    streams,
    audit,
    memberOf: tenancyLookups.memberOf,
    models,
    metering: credits.metering,
    agent: agentPrompt,
    operator,
    redis,
    outbox: {
      leaseMs: config.OUTBOX_LEASE_SECONDS * 1000,
      graceMs: config.OUTBOX_GRACE_SECONDS * 1000,
      maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    },
  })
  channels.receive(inbox.receivers)
  const connectors = createConnectorsModule({
    db,
    box: createSecretBox(config.secretKey),
    audit,
    entitlements: plans.entitlements,
    scope: tenancy.scope,
    queue,
    settings: connectorsSettingsFrom(config),
  })
  const crm = createCrmModule({
    db,
    features,
    scope: tenancy.scope,
    audit,
    events,
    operator,
    queue,
    memberOf: tenancyLookups.memberOf,
    inbox: {
      messages: contactMessages,
      sourceCheck: messagesInThread,
      thread: threadMessages,
      clientOfThread,
      broadcast: inbox.broadcast,
      statuses: messageStatuses,
    },
    numbers: {
      kindOf: (scope, id) =>
        channels.channels.get(scope, id).then(
          (c) => c.kind,
          (err: unknown) => {
            if (err instanceof AppError && err.code === 'channels.not_found') return undefined
            throw err
          },
        ),
      templates: async (scope, id) => (await channels.templates.list(scope, id)).items,
    },
    models,
    metering: credits.metering,
    // Lead import pages: 15 s and 2 MiB each.
    egress: createEgress({ ...egress, timeoutMs: 15_000 }),
  })
  channels.registerMetrics(metrics.registry)
  models.registerMetrics(metrics.registry)
  credits.registerMetrics(metrics.registry)
  flows.registerMetrics(metrics.registry)
  inbox.registerMetrics(metrics.registry)
  subscriptions.registerMetrics(metrics.registry)
  flows.whatsapp.connect(inbox.flowSend)
  // The CRM tells the bus what changed; flows start their CRM-triggered runs in that transaction.
  events.on('crm.lead-imported', flows.crm.on('crm.lead-imported'))
  events.on('crm.contact-created', flows.crm.on('crm.contact-created'))
  events.on('crm.deal-stage-changed', flows.crm.on('crm.deal-stage-changed'))
  events.on('crm.booking-saved', flows.crm.on('crm.booking-saved'))
  flows.crm.connect({
    upsertContact: crm.contacts.upsert,
    moveDeal: (scope, dealId, stageId, lostReason) =>
      crm.deals.update(scope, dealId, { stageId, ...(lostReason ? { lostReason } : {}) }),
    addNote: crm.activities.addNote,
    addTask: crm.activities.addTask,
    extractBooking: (scope, threadId, { idempotencyKey, ...step }) =>
      crm.extractor.extract(scope, threadId, { requestId: idempotencyKey, tokenId: null, step }),
  })
  // The CRM first: a flow started by the same message finds the sender's contact.
  inbox.onInbound(crm.received)
  inbox.onInbound(flows.whatsapp.received)
  runs.register('flow', flows.engine.runKind)
  await flows.engine.listen()
  const tools = createToolsModule({ egress: createEgress(egress), stillAllowed: tenancy.scope.stillAllowed })
  const aiDeps = {
    db,
    runs,
    streams,
    scope: tenancy.scope,
    agents: agents.agents,
    models,
    tools: tools.registry,
    metering: credits.metering,
    credits: credits.credits,
    workspaceName: async (scope: WorkspaceScope) => (await tenancy.tenancy.getWorkspace(scope)).name,
  }
  const chat = createChatModule(aiDeps)
  const boardroom = createBoardroomModule(aiDeps)
  // Each kind of run says how a run of its kind that nobody writes any more is closed (the one sweeper, orphan cancels).
  runs.register('chat', chat.runKind)
  runs.register('meeting', boardroom.runKind)
  tools.registry.register(...chat.chat.tools)
  // Web pages are read with a larger body cap than the page tool's (a whole page's text, not its first 8 000 characters).
  const knowledge = createKnowledgeModule({
    db,
    queue,
    audit,
    scope: tenancy.scope,
    egress: createEgress({ ...egress, timeoutMs: 20_000, maxBytes: 5 * 1024 * 1024 }),
    // pgvector where installed (PGlite: embedded) and the workspace's embeddings model: hybrid search; else full-text.
    vectors: {
      support: await prepareKnowledgeVectors(db),
      models,
      metering: credits.metering,
      minSimilarity: config.KNOWLEDGE_MIN_SIMILARITY,
    },
  })
  tools.registry.register(...knowledge.tools)
  flows.knowledge.connect(knowledge.knowledge.search)
  tools.registry.register(...connectors.tools)
  flows.google.connect({ ads: connectors.digests.ads, analytics: connectors.digests.analytics })
  chat.suggestions.connect(connectors.sourceStates)
  chat.suggestions.connect(async (scope) => ({ knowledgeDocuments: await knowledge.knowledge.readyDocuments(scope) }))
  flows.boardroom.connect({
    convene: async (scope, body, requestId) =>
      boardroom.boardroom.convene({ ...scope, client: await tenancyLookups.clientProfile(db, scope) }, body, requestId),
    agentName: async (scope, id) => (await agents.agents.resolve(scope, id)).dto.name,
  })
  flows.loadTemplates()
  const publicSite = createPublicModule({ models, demoPerMinute: config.DEMO_REQUESTS_PER_MINUTE })
  const gateway = createGatewayModule({
    db,
    models,
    metering: credits.metering,
    scope: tenancy.scope,
  })
  // What each surface had produced when its process died: the hold sweeper charges the prompt plus this.
  credits.metering.recoverWith('chat', chat.chat.recoverAnswer)
  credits.metering.recoverWith('boardroom', boardroom.boardroom.recoverTurn)
  credits.metering.recoverWith('v1', gateway.gateway.recoverStream)
  // The status page reads other modules' aggregates through their public functions.
  const ops = createOpsModule({
    db,
    queue,
    metrics,
    internalToken: config.INTERNAL_TOKEN,
    checks: { sessionStore: channels.sessionStoreReady },
    audit,
    operator,
    statusCacheMs: config.STATUS_CACHE_SECONDS * 1000,
    whatsapp: channels.health,
    ...(config.STRIPE_SECRET_KEY ? { stripe: subscriptions.eventsHealth } : {}),
    ...(config.BACKUP_CRON
      ? {
          backup: {
            database,
            cron: config.BACKUP_CRON,
            dir: config.BACKUP_DIR,
            keep: config.BACKUP_KEEP,
            ...(config.secretKeyFile ? { secretKeyFile: config.secretKeyFile } : {}),
          },
        }
      : {}),
  })
  /** Every module's parts, in route registration order (src/app.ts registers the routes and builds nothing). */
  const modules: ModuleParts[] = [
    ops,
    createLegalModule(resolve('content/legal')),
    mail,
    identity.connect({ workspacesOf: tenancy.tenancy.workspacesOf, checkTokenBinding: tenancy.scope.tokenBinding }),
    tenancy,
    models,
    credits,
    planning,
    billing,
    subscriptions,
    agents,
    chat,
    gateway,
    boardroom,
    flows,
    channels,
    inbox,
    crm,
    connectors,
    knowledge,
    features,
    alerts.connect({ scope: tenancy.scope, streams, operator }),
    publicSite,
    auditModule.connect({ db, adminScope: (req) => tenancy.scope.workspace(req, 'admin') }),
    { routes: [], jobs: runs.jobs },
  ]
  const routes = modules.flatMap((m) => m.routes)
  const jobs = modules.flatMap((m) => m.jobs)
  await queue.register(jobs)
  await queue.retire(RETIRED_JOBS)

  return {
    config,
    database,
    db,
    redis,
    counters,
    queue,
    metrics,
    bus,
    runs,
    streams,
    ops,
    audit,
    operator,
    events,
    mail,
    identity,
    tenancy,
    plans: { ...plans, ...planning },
    credits,
    billing,
    subscriptions,
    models,
    agents,
    tools,
    chat,
    boardroom,
    gateway,
    flows,
    channels,
    inbox,
    crm,
    connectors,
    knowledge,
    features,
    alerts: {
      ...alerts,
      /** The rate limiter's `onExceeded` (src/app.ts). */
      rateLimited: createRateLimitAlerts({
        db,
        alerts: alerts.alerts,
        memberWorkspace: tenancyLookups.memberWorkspace,
        max: config.RATE_LIMIT_PER_MINUTE,
      }),
    },
    publicSite,
    jobs,
    routes,
    /** Works every job in this process (embedded mode or a `worker`), then the modules' start-up chores. */
    async startWorker() {
      await queue.work(jobs)
      await ops.heartbeat.start()
      await flows.startWorker()
      await channels.supervisor.start()
      await inbox.outbox.start()
    },
    async close() {
      await alerts.drain()
      await ops.heartbeat.stop()
      await inbox.outbox.stop()
      await channels.supervisor.stop()
      await flows.close()
      await runs.drain()
      await queue.stop().catch(() => undefined)
      await bus.close().catch(() => undefined)
      await invalidations.close()
      await database.close().catch(() => undefined)
      redis?.disconnect()
    },
  }
}
export type Container = Awaited<ReturnType<typeof createContainer>>
