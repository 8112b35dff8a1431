import type { FastifyPluginAsync } from 'fastify'
import type { JobDefinition } from '../queue/queue.ts'

/**
 * What every module gives the composition root besides its public API: its route plugins (in registration order) and
 * its jobs. `create<M>Module(deps)` returns `{ …public API, routes, jobs }` (`satisfies ModuleShape`); a module whose
 * routes need a module built after it returns its API first and its parts from `connect(…)`.
 */
export type ModuleParts = { routes: FastifyPluginAsync[]; jobs: JobDefinition[] }
/** A module's factory result: its public API (any other keys) beside its parts. */
export type ModuleShape = ModuleParts & { [api: string]: unknown }
