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
import { createNodeRegistry } from './registry.ts'
import { createEngine, type EngineConfig } from './engine/engine.ts'
import { createRunsService } from './engine/runs.service.ts'
import { runRoutes } from './engine/runs.routes.ts'
import { createWebhooks } from './engine/webhooks.ts'
import { createExpressionPool } from './expressions/pool.ts'
import { createTemplateGallery } from './templates.ts'
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

/** What flows count against a plan: the workspace's flows that are not archived. */
export const flowsUsage = {
  flows: (handle: Handle, workspaceId: string) => flows.countActive(own<FlowsTables>(handle), workspaceId),
}

/** Engine settings an operator may change (env). */
export type FlowsSettings = Partial<EngineConfig>

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
}) => {
  const expressions = createExpressionPool()
  const checkExpression = (source: string) => expressions.check(source)
  const nodes = createNodeRegistry()
  nodes.register(
    ...coreNodes({
      egress: deps.egress,
      credential: async () => undefined,
      sendEmail: (trx, m) => deps.mail.send(trx, { kind: 'flow', ...m }),
    }),
    aiNode({ db: deps.db, models: deps.models, metering: deps.metering, agent: deps.agent }),
  )
  const definitions = createDefinitionsService({ ...deps, registry: nodes, checkExpression })
  const engine = createEngine({
    db: deps.db,
    runs: deps.runs,
    bus: deps.bus,
    queue: deps.queue,
    registry: nodes,
    expressions,
    config: deps.settings,
  })
  const runsService = createRunsService({
    db: deps.db,
    engine,
    definitions,
    registry: nodes,

    audit: deps.audit,
  })
  const gallery = createTemplateGallery(nodes, { checkExpression })
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
    definitions,
    nodes,
    engine,
    gallery,
    runs: runsService,
    expressions,
    routes: [
      definitionRoutes({ definitions, scope: deps.scope }),
      runRoutes({ runs: runsService, definitions, scope: deps.scope, streams: deps.streams }),
      webhooks.adminRoutes(deps.scope),
      templateRoutes({ scope: deps.scope, gallery, composer, create }),
      webhooks.routes,
    ],
    jobs: engine.jobs,
    async close() {
      await engine.drain()
      await expressions.close()
    },
  } satisfies ModuleShape
}
export type FlowsModule = ReturnType<typeof createFlowsModule>
