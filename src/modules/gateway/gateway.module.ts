import type { Kysely } from 'kysely'
import type { GatewayTables } from './gateway.tables.ts'
import type { ModelsModule } from '../models/models.module.ts'
import type { Metering } from '../credits/credits.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { gatewayRoutes } from './gateway.routes.ts'
import { createGatewayService } from './gateway.service.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

/** `/v1`: the OpenAI-compatible API over the same models, attribution and usage records as the app. */
export const createGatewayModule = (deps: {
  db: Kysely<GatewayTables>
  models: ModelsModule
  metering: Metering
  scope: ScopeResolver
}) => {
  const gateway = createGatewayService(deps)
  return { gateway, routes: [gatewayRoutes({ gateway, ...deps })], jobs: [] } satisfies ModuleShape
}
