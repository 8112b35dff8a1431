import type { ModelsModule } from '../models/models.module.ts'
import { publicRoutes } from './public.routes.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

export { searchPublic, sanitizeQuery } from './public-search.ts'

/** The landing page's search and the no-account demo chat. */
export const createPublicModule = (deps: { models: ModelsModule; demoPerMinute: number }) =>
  ({ routes: [publicRoutes(deps)], jobs: [] }) satisfies ModuleShape
