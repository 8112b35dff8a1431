import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  IncidentCreateBody,
  IncidentDto,
  IncidentUpdateBody,
  StatusDto,
  type ComponentKey,
} from '../../../contracts/status.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { Incidents } from './incidents.service.ts'
import { overallState, runChecks, type createStatusChecks } from './status.checks.ts'

/** A check slower than this is `down` (the page still answers). */
const CHECK_TIMEOUT_MS = 2_000

/**
 * The public status, computed at most once per `cacheMs` per process: concurrent visitors share one computation, so a
 * flood of them costs the database a handful of queries every few seconds. The incidents' writes start a fresh one.
 */
export const createStatusReader = (deps: {
  checks: ReturnType<typeof createStatusChecks>
  incidents: Pick<Incidents, 'shown'>
  cacheMs: number
  log?: (key: ComponentKey | 'incidents', err: unknown) => void
}) => {
  let cached: { at: number; value: Promise<StatusDto> } | undefined
  const compute = async (): Promise<StatusDto> => {
    const [components, incidents] = await Promise.all([
      runChecks(deps.checks, { timeoutMs: CHECK_TIMEOUT_MS, onError: deps.log }),
      // Incidents live in the database too: when it is down the page still shows the live checks.
      deps.incidents.shown().catch((err: unknown) => {
        deps.log?.('incidents', err)
        return []
      }),
    ])
    return { status: overallState(components), checkedAt: new Date().toISOString(), components, incidents }
  }
  return {
    read() {
      const now = Date.now()
      if (!cached || now - cached.at >= deps.cacheMs) cached = { at: now, value: compute() }
      return cached.value
    },
    invalidate() {
      cached = undefined
    },
  }
}
export type StatusReader = ReturnType<typeof createStatusReader>

export const statusRoutes =
  ({ reader, incidents, operator }: { reader: StatusReader; incidents: Incidents; operator: OperatorGuard }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/api/status',
      {
        config: { public: true, rateLimit: { max: 120, timeWindow: 60_000 } },
        schema: {
          tags: ['public'],
          summary:
            "The service status for people: live checks of each component and the operator's incidents. Always 200; the state is in the body",
          response: { 200: StatusDto, ...errorResponses(429) },
        },
      },
      async (_req, reply) => reply.header('cache-control', 'no-store').send(await reader.read()),
    )

    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }
    app.post(
      '/api/operator/incidents',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary: 'Posts an incident on the status page with its first update. Audited',
          body: IncidentCreateBody,
          response: { 201: IncidentDto, ...errorResponses(400, 401, 503) },
        },
      },
      async (req, reply) => {
        const incident = await incidents.post(req.body)
        reader.invalidate()
        return reply.code(201).send(incident)
      },
    )
    app.post(
      '/api/operator/incidents/:id/updates',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary:
            "Adds an update to an open incident (its status becomes the update's; `resolved` closes it). Audited",
          params: IdParam,
          body: IncidentUpdateBody,
          response: { 201: IncidentDto, ...errorResponses(400, 401, 404, 409, 503) },
        },
      },
      async (req, reply) => {
        const incident = await incidents.update(req.params.id, req.body)
        reader.invalidate()
        return reply.code(201).send(incident)
      },
    )
  }
