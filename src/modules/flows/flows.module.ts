import type { Kysely } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { LimitCheck, ScopeResolver } from '../tenancy/tenancy.module.ts'
import { flows } from './definitions.repository.ts'
import { definitionRoutes } from './definitions.routes.ts'
import { createDefinitionsService } from './definitions.service.ts'
import type { FlowsTables } from './flows.tables.ts'
import { coreNodes } from './nodes/core.ts'
import { aiNode, type AiStepDeps } from './nodes/ai.ts'
import { createNodeRegistry, fatal } from './registry.ts'
import type { FlowGraph } from '../../../contracts/flows.ts'
import { createEngine, type EngineConfig } from './engine/engine.ts'
import { createRunsService } from './engine/runs.service.ts'
import { runRoutes } from './engine/runs.routes.ts'
import { createWebhooks } from './engine/webhooks.ts'
import { createSchedules } from './engine/schedules.ts'
import { createWhatsAppTrigger } from './engine/whatsapp.ts'
import { whatsappNodes, type WhatsAppNodeDeps } from './nodes/whatsapp.ts'
import { createCrmTriggers } from './engine/crm.ts'
import { crmNodes, type CrmNodeDeps } from './nodes/crm.ts'
import { knowledgeNodes, type KnowledgeNodeDeps } from './nodes/knowledge.ts'
import { googleNodes, type GoogleNodeDeps } from './nodes/google.ts'
import { boardroomNodes, type BoardroomNodeDeps } from './nodes/boardroom.ts'
import { createCredentials } from './credentials.ts'
import { createRetention } from './engine/retention.ts'
import type { RequestMeta } from '../../platform/http/request-context.ts'
import type { FlowDto } from '../../../contracts/flows.ts'
import { createExpressionPool } from './expressions/pool.ts'
import { createTemplateGallery, type TemplateGallery } from './templates.ts'
import { flowsMetrics } from './flows.metrics.ts'
import { createComposer, type ComposeModels, type CreateFlow } from './compose.ts'
import { templateRoutes } from './templates.routes.ts'
import type { Metering } from '../credits/credits.module.ts'
import type { Runs } from '../../platform/runs/runs.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'
import type { Egress } from '../../platform/egress/egress.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { MailService } from '../mail/mail.module.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'

export type { DefinitionsService, FlowChange, FlowChanged } from './definitions.service.ts'
export { hashGraph } from './definitions.service.ts'
export type { NodeRegistry, NodeType } from './registry.ts'
export type { CrmNodeDeps } from './nodes/crm.ts'

/** What flows count against a plan: the workspace's flows that are not archived. */
export const flowsUsage = {
  flows: (handle: Handle, workspaceId: string) => flows.countActive(own<FlowsTables>(handle), workspaceId),
}

/** Engine settings an operator may change (env). */
export type FlowsSettings = Partial<EngineConfig> & { retentionDays?: number | undefined }
const MAX_SUBFLOW_DEPTH = 5

/**
 * Flows: definitions and versions, the node registry other modules extend (`flows.nodes.register(…)`), the engine
 * (runs in slices with per-step checkpoints), the expression sandbox, the webhook trigger.
 */
export const createFlowsModule = (deps: {
  db: Kysely<FlowsTables>
  scope: ScopeResolver
  audit: AuditService
  entitlements: LimitCheck
  runs: Runs
  bus: Bus
  queue: Queue
  streams: RunStreams
  egress: Egress
  box: SecretBox
  mail: MailService
  publicUrl: string
  stillAllowed: (scope: ClientScope) => Promise<boolean>
  models: ComposeModels
  metering: Metering
  /** An agent's system prompt for a client and its preferred model (the AI step's `agentId`). */
  agent: AiStepDeps['agent']
  settings?: FlowsSettings
  /** Told when a flow's latest runs failed in a row (alerts). */
  onFailing?: Parameters<typeof createEngine>[0]['onFailing']
}) => {
  const expressions = createExpressionPool()
  const checkExpression = (source: string) => expressions.check(source)
  const credentials = createCredentials({ db: deps.db, box: deps.box, audit: deps.audit })
  const nodes = createNodeRegistry()
  nodes.register(
    ...coreNodes({
      egress: deps.egress,
      credential: (scope, id) => credentials.open(scope, id),
      sendEmail: (trx, m) => deps.mail.send(trx, { kind: 'flow', ...m }),
      prepareChild: async (scope, parentRunId, flowId) => {
        const depth = (await engine.depthOf(deps.db, parentRunId)) + 1
        if (depth > MAX_SUBFLOW_DEPTH)
          throw fatal('flows.subflow_too_deep', `Sub-flows nest at most ${MAX_SUBFLOW_DEPTH} deep.`)
        const { flow, version } = await deps.db
          .transaction()
          .execute((trx) => stored.versionForRun(trx, scope, flowId, { draft: false, userId: scope.userId }))
          .catch((err: unknown) => {
            throw fatal('flows.subflow_unavailable', err instanceof Error ? err.message : String(err))
          })
        if (!(version.graph as FlowGraph).nodes.some((n) => n.type === 'core.called-by-flow'))
          throw fatal('flows.subflow_trigger', `"${flow.name}" does not start with "Called by another flow".`)
        return { flowId: flow.id, versionId: version.id }
      },
      startChild: async (trx, child) => {
        await engine.startRun(trx, {
          id: child.runId,
          workspaceId: child.scope.workspaceId,
          clientId: child.scope.clientId,
          flowId: child.flowId,
          versionId: child.versionId,
          trigger: 'subflow',
          triggerKey: `parent:${child.parentRunId}:${child.stepKey}`,
          actingUserId: child.scope.userId,
          input: child.input,
          parent: { runId: child.parentRunId, stepKey: child.stepKey },
        })
      },
      childOutcome: (runId) => engine.outcomeOf(runId),
      kick: (runId) => void engine.kick(runId),
    }),
    aiNode({ db: deps.db, models: deps.models, metering: deps.metering, agent: deps.agent }),
  )
  const stored = createDefinitionsService({ ...deps, registry: nodes, checkExpression })
  const engine = createEngine({
    db: deps.db,
    runs: deps.runs,
    bus: deps.bus,
    queue: deps.queue,
    registry: nodes,
    expressions,
    config: deps.settings,
    onFailing: deps.onFailing,
  })
  const schedules = createSchedules({
    db: deps.db,
    queue: deps.queue,
    engine,
    stillAdmin: (s) => deps.stillAllowed({ ...s, role: 'admin' }),
  })
  // Each lifecycle change brings the flow's schedule in line once it committed.
  type Transition = (scope: ClientScope, id: string, meta: RequestMeta) => Promise<FlowDto>
  const thenSync =
    (fn: Transition): Transition =>
    async (scope, id, meta) => {
      const flow = await fn(scope, id, meta)
      await schedules.sync(id)
      return flow
    }
  const definitions = {
    ...stored,
    publish: thenSync(stored.publish),
    pause: thenSync(stored.pause),
    resume: thenSync(stored.resume),
    archive: thenSync(stored.archive),
    restore: thenSync(stored.restore),
  }
  const whatsapp = createWhatsAppTrigger({ engine, queue: deps.queue, evaluate: expressions.evaluate })
  const crmTriggers = createCrmTriggers({ engine })
  const retention = createRetention({ db: deps.db, runs: deps.runs, days: deps.settings?.retentionDays })
  const runsService = createRunsService({
    db: deps.db,
    engine,
    definitions,
    registry: nodes,

    audit: deps.audit,
  })
  // Templates use nodes other modules register from the container (Ads report, Boardroom): the gallery is read and
  // validated once they are all in — `loadTemplates()` at the end of the composition root, else on first use.
  let loaded: TemplateGallery | undefined
  const loadTemplates = () => (loaded ??= createTemplateGallery(nodes, { checkExpression }))
  const gallery: TemplateGallery = {
    listTemplates: () => loadTemplates().listTemplates(),
    getTemplate: (id) => loadTemplates().getTemplate(id),
    bestMatch: (prompt) => loadTemplates().bestMatch(prompt),
  }
  const create: CreateFlow = (scope, input, via, meta, origin) =>
    definitions.create(scope, input, meta, { via, ...origin })
  const composer = createComposer({
    registry: nodes,
    gallery,
    models: deps.models,
    metering: deps.metering,
    create,
    precheck: (s) => deps.entitlements.check(deps.db, s.workspaceId, 'flows'),
    checkExpression,
  })
  const webhooks = createWebhooks({
    db: deps.db,
    box: deps.box,
    engine,
    runs: deps.runs,
    definitions,
    audit: deps.audit,
    publicUrl: deps.publicUrl,
    stillAdmin: (s) => deps.stillAllowed({ ...s, role: 'admin' }),
  })
  return {
    /** Prometheus: open runs, and runs and steps finished lately by status and duration (read at scrape time). */
    registerMetrics: flowsMetrics(deps.db),
    definitions,
    nodes,
    engine,
    gallery,
    /** Reads and validates the template gallery (a broken template stops the server): after every `connect`. */
    loadTemplates: () => void loadTemplates(),
    runs: runsService,
    expressions,
    routes: [
      definitionRoutes({ definitions, scope: deps.scope }),
      runRoutes({ runs: runsService, definitions, scope: deps.scope, streams: deps.streams }),
      webhooks.adminRoutes(deps.scope),
      templateRoutes({ scope: deps.scope, gallery, composer, create }),
      credentials.routes(deps.scope),
      webhooks.routes,
    ],
    schedules,
    retention,
    /**
     * WhatsApp (issue 13 §8): `received` is the inbox's inbound subscriber (starts the flows a message matches, in its
     * transaction); `connect` registers the trigger and the "Send WhatsApp message" node, sending through the inbox.
     */
    whatsapp: {
      received: whatsapp.received,
      startRuns: whatsapp.startRuns,
      idle: whatsapp.idle,
      connect: (send: WhatsAppNodeDeps['send']) =>
        nodes.register(...whatsappNodes({ send, stillAdmin: (s) => deps.stillAllowed({ ...s, role: 'admin' }) })),
    },
    /**
     * The CRM (issue 14 §10): `on(type)` is the event bus handler of a CRM event (starts the flows it matches, in the
     * CRM's transaction); `connect` registers the CRM triggers and actions, which write through the CRM's public API.
     */
    crm: {
      on: crmTriggers.on,
      connect: (api: Omit<CrmNodeDeps, 'stillAdmin'>) =>
        nodes.register(...crmNodes({ ...api, stillAdmin: (s) => deps.stillAllowed({ ...s, role: 'admin' }) })),
    },
    /** The knowledge base (issue 15 §9): `connect` registers "Search knowledge", reading through its public API. */
    knowledge: {
      connect: (search: KnowledgeNodeDeps['search']) =>
        nodes.register(...knowledgeNodes({ search, stillAllowed: deps.stillAllowed })),
    },
    /** Google Ads and GA4 (issue 15 §9): `connect` registers "Ads report" and "Analytics report" (connectors' API). */
    google: {
      connect: (reports: Omit<GoogleNodeDeps, 'stillAllowed'>) =>
        nodes.register(...googleNodes({ ...reports, stillAllowed: deps.stillAllowed })),
    },
    /** The boardroom (issue 15 §8): `connect` registers the "Boardroom" step, meeting through its public API. */
    boardroom: {
      connect: (api: Omit<BoardroomNodeDeps, 'db' | 'stillAllowed'>) =>
        nodes.register(...boardroomNodes({ ...api, db: deps.db, stillAllowed: deps.stillAllowed })),
    },
    jobs: [...engine.jobs, ...schedules.jobs, ...retention.jobs, ...whatsapp.jobs],
    /** In a process that works jobs: schedules reconciled with published versions, runs left by a dead process reaped. */
    async startWorker() {
      await schedules.reconcile()
      // Reaps now and then every FLOW_REAP_SECONDS (runs left by a dead process continue once their lease expires).
      engine.start()
    },
    async close() {
      await whatsapp.idle()
      await engine.drain()
      await expressions.close()
    },
  } satisfies ModuleShape
}
export type FlowsModule = ReturnType<typeof createFlowsModule>
