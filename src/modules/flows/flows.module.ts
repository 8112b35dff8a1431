import type { Kysely } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { LimitCheck, ScopeResolver } from '../tenancy/tenancy.module.ts'
import { flows } from './definitions.repository.ts'
import { definitionRoutes } from './definitions.routes.ts'
import { createDefinitionsService, type CheckExpression, type FlowChanged } from './definitions.service.ts'
import type { FlowsTables } from './flows.tables.ts'
import { CORE_SPECS } from './nodes/specs.ts'
import { createNodeRegistry, fatal, type NodeType } from './registry.ts'

export type { DefinitionsService, FlowChange, FlowChanged } from './definitions.service.ts'
export { hashGraph } from './definitions.service.ts'
export type { NodeRegistry, NodeType } from './registry.ts'

/** What flows count against a plan: the workspace's flows that are not archived. */
export const flowsUsage = {
  flows: (handle: Handle, workspaceId: string) => flows.countActive(own<FlowsTables>(handle), workspaceId),
}

const notYet: NodeType['execute'] = () =>
  Promise.reject(fatal('flows.engine_missing', 'This server cannot run flows yet.'))

/** Flows: definitions and versions, the node registry other modules extend (`flows.nodes.register(…)`). */
export const createFlowsModule = (deps: {
  db: Kysely<FlowsTables>
  scope: ScopeResolver
  audit: AuditService
  entitlements: LimitCheck
  /** The expression sandbox's parse check, used by validation (publish, `POST /api/flows/validate`). */
  checkExpression?: CheckExpression
  /** Told inside the transaction of each publish, pause, resume, archive and restore (triggers follow them). */
  changed?: FlowChanged
}) => {
  const nodes = createNodeRegistry()
  nodes.register(...CORE_SPECS.map((s) => ({ ...s, execute: notYet }))) // replaced by the engine's executors
  const definitions = createDefinitionsService({ ...deps, registry: nodes })
  return {
    definitions,
    nodes,
    routes: [definitionRoutes({ definitions, scope: deps.scope })],
    jobs: [],
  } satisfies ModuleShape
}
export type FlowsModule = ReturnType<typeof createFlowsModule>
