import type { Kysely } from 'kysely'
import type { Runs } from '../../platform/runs/runs.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'
import type { BoardroomTables } from './boardroom.tables.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { Metering } from '../credits/credits.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { boardroomRoutes } from './boardroom.routes.ts'
import { createBoardroomService } from './boardroom.service.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
/** Meetings of several agents on one topic, with a moderator's summary of decisions and action items. */
export const createBoardroomModule = (deps: {
  db: Kysely<BoardroomTables>
  runs: Runs
  streams: RunStreams
  scope: ScopeResolver
  agents: AgentService
  models: ModelsModule
  metering: Metering
  workspaceName: (scope: ClientScope) => Promise<string>
}) => {
  const boardroom = createBoardroomService({ ...deps, db: deps.db })
  return {
    boardroom,
    routes: [boardroomRoutes({ boardroom, scope: deps.scope, streams: deps.streams })],
    jobs: [],
    /** Registered with the run layer by the composition root: how a meeting nobody runs any more is closed. */
    runKind: boardroom.runKind,
  } satisfies ModuleShape
}
