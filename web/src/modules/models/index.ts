/** The model catalog (GET /api/models): what chat, agents, credits and providers pick from or list. */
export { modelKeys } from './api.ts'
export type { ModelDto } from './api.ts'
export { useModels } from './queries.ts'
