import type { Kysely } from 'kysely'
import type {
  FlowGraph,
  FlowRunDto,
  FlowRunTrace,
  FlowStepDto,
  ManualRunStart,
  RunsQuery,
} from '../../../../contracts/flows.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { hasRole } from '../../../platform/http/request-context.ts'
import { authErrors } from '../../../platform/http/http.errors.ts'
import { newestFirstPage } from '../../../platform/db/pagination.ts'
import type { DefinitionsService } from '../definitions.service.ts'
import { flowsErrors } from '../flows.errors.ts'
import type { FlowRunRow, FlowStepRow, FlowsTables } from '../flows.tables.ts'
import type { NodeRegistry } from '../registry.ts'
import type { Engine } from './engine.ts'
import { creditsString } from '../compose.ts'
import type { AuditService } from '../../audit/audit.module.ts'

const stepDto = (s: FlowStepRow): FlowStepDto => ({
  key: s.nodeKey,
  nodeId: s.nodeId,
  iteration: s.iteration,
  status: s.status,
  attempts: s.attempts,
  input: s.input,
  output: s.output,
  port: s.port,
  error: s.error,
  idempotencyKey: s.idempotencyKey,
  credits: creditsString(BigInt(s.credits)),
  startedAt: s.startedAt.toISOString(),
  finishedAt: s.finishedAt?.toISOString() ?? null,
  durationMs: s.durationMs,
})

/** Manual runs, the runs lists, a run's trace and cancel: what the routes ask of the engine and its tables. */
export const createRunsService = ({
  db,
  engine,
  definitions,
  registry,
  audit,
}: {
  audit: AuditService
  db: Kysely<FlowsTables>
  engine: Engine
  definitions: DefinitionsService
  registry: NodeRegistry
}) => {
  const runDto = async (rows: FlowRunRow[]): Promise<FlowRunDto[]> => {
    const flowIds = [...new Set(rows.map((r) => r.flowId))]
    const versionIds = [...new Set(rows.map((r) => r.versionId))]
    const [names, numbers] = await Promise.all([
      flowIds.length
        ? db.selectFrom('flows').select(['id', 'name']).where('id', 'in', flowIds).execute()
        : Promise.resolve([]),
      versionIds.length
        ? db.selectFrom('flowVersions').select(['id', 'number']).where('id', 'in', versionIds).execute()
        : Promise.resolve([]),
    ])
    const nameOf = new Map(names.map((n) => [n.id, n.name]))
    const numberOf = new Map(numbers.map((n) => [n.id, n.number]))
    return rows.map((r) => ({
      id: r.id,
      flowId: r.flowId,
      flowName: nameOf.get(r.flowId) ?? '',
      clientId: r.clientId,
      versionId: r.versionId,
      versionNumber: numberOf.get(r.versionId) ?? null,
      trigger: r.trigger,
      status: r.status,
      steps: r.steps,
      credits: creditsString(BigInt(r.credits)),
      error: r.error,
      parentRunId: r.parentRunId,
      createdAt: r.createdAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
      durationMs: r.finishedAt ? r.finishedAt.getTime() - r.createdAt.getTime() : null,
    }))
  }

  const find = async (scope: ClientScope, runId: string) => {
    const run = await db
      .selectFrom('flowRuns')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', runId)
      .executeTakeFirst()
    if (!run) throw flowsErrors.run_not_found()
    return run
  }

  return {
    /** The client a run belongs to, for `scope.owner`. */
    clientOf: async (runId: string) =>
      (await db.selectFrom('flowRuns').select('clientId').where('id', '=', runId).executeTakeFirst())?.clientId,

    /** Starts a run by hand: members run the published version, admins may test the draft. */
    async startManual(scope: ClientScope, flowId: string, body: ManualRunStart) {
      const draft = body.draft === true
      if (draft && !hasRole(scope.role, 'admin')) throw authErrors.forbidden()
      const { runId } = await db.transaction().execute(async (trx) => {
        const { flow, version } = await definitions.versionForRun(trx, scope, flowId, { draft, userId: scope.userId })
        const trigger = (version.graph as FlowGraph).nodes.find((n) => registry.get(n.type)?.kind === 'trigger')
        const testInput =
          trigger?.type === 'core.manual' ? (trigger.config as { testInput?: unknown }).testInput : undefined
        return engine.startRun(trx, {
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          flowId: flow.id,
          versionId: version.id,
          trigger: 'manual',
          actingUserId: scope.userId,
          input: body.input ?? testInput ?? {},
        })
      })
      engine.kick(runId)
      return { runId, status: 'queued' as const }
    },

    async list(scope: ClientScope, q: RunsQuery) {
      let query = db
        .selectFrom('flowRuns')
        .selectAll()
        .where('workspaceId', '=', scope.workspaceId)
        .where('clientId', '=', scope.clientId)
      if (q.flowId) query = query.where('flowId', '=', q.flowId)
      if (q.status) query = query.where('status', '=', q.status)
      if (q.trigger) query = query.where('trigger', '=', q.trigger)
      const page = await newestFirstPage(query, q)
      return { items: await runDto(page.items), nextCursor: page.nextCursor }
    },

    async get(scope: ClientScope, runId: string) {
      return (await runDto([await find(scope, runId)]))[0]!
    },

    /** The whole trace: the run, the graph it ran, every step in the order it started (payload references resolved). */
    async trace(scope: ClientScope, runId: string): Promise<FlowRunTrace> {
      const run = await find(scope, runId)
      const [version, steps] = await Promise.all([
        db.selectFrom('flowVersions').select('graph').where('id', '=', run.versionId).executeTakeFirstOrThrow(),
        db.selectFrom('flowSteps').selectAll().where('runId', '=', runId).orderBy('seq').execute(),
      ])
      const refs = steps.flatMap((s) => [s.inputRef, s.outputRef]).filter((r): r is string => Boolean(r))
      if (refs.length) {
        const payloads = new Map(
          (
            await db
              .selectFrom('flowPayloads')
              .select(['id', 'data'])
              .where('workspaceId', '=', scope.workspaceId)
              .where('id', 'in', refs)
              .execute()
          ).map((p) => [p.id, p.data]),
        )
        for (const s of steps) {
          if (s.inputRef) s.input = payloads.get(s.inputRef) ?? null
          if (s.outputRef) s.output = payloads.get(s.outputRef) ?? null
        }
      }
      return {
        run: (await runDto([run]))[0]!,
        graph: version.graph as FlowGraph,
        input: run.input,
        output: run.output,
        steps: steps.map(stepDto),
      }
    },

    async cancel(scope: ClientScope, runId: string, meta: { ip: string }) {
      await find(scope, runId)
      const row = await engine.cancel(scope.workspaceId, runId, (trx) =>
        audit.record(trx, {
          action: 'flow.run_cancelled',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'flow_run',
          targetId: runId,
          ip: meta.ip,
          metadata: { clientId: scope.clientId },
        }),
      )
      if (!row) throw flowsErrors.run_finished()
      return (await runDto([row]))[0]!
    },
  }
}
export type RunsService = ReturnType<typeof createRunsService>
