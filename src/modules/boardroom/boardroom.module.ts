import type { Db } from '../../schema.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { Metering } from '../credits/credits.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { boardroomRoutes } from './boardroom.routes.ts'
import { createBoardroomService } from './boardroom.service.ts'
import { sweepStaleMeetings } from './boardroom.jobs.ts'

/** Meetings of several agents on one topic, with a moderator's summary of decisions and action items. */
export const createBoardroomModule = (deps: {
  db: Db
  scope: ScopeResolver
  agents: AgentService
  models: ModelsModule
  metering: Metering
  workspaceName: (scope: ClientScope) => Promise<string>
}) => {
  const boardroom = createBoardroomService(deps)
  return { boardroom, routes: boardroomRoutes({ boardroom, scope: deps.scope }), jobs: [sweepStaleMeetings(deps.db)] }
}
