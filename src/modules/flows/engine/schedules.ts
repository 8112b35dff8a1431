import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { FlowGraph } from '../../../../contracts/flows.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { defineJob, type Queue } from '../../../platform/queue/queue.ts'
import type { FlowsTables } from '../flows.tables.ts'
import type { Engine } from './engine.ts'

type ScheduleConfig = { cron: string; timezone: string }

/**
 * Schedule triggers: the published version of an active flow that starts with a schedule has one pg-boss schedule,
 * keyed by the flow (publishing again replaces it; pausing or archiving removes it). A firing starts one run per
 * flow and minute (the trigger key), as the version's publisher while they are still an admin of the client.
 */
export const createSchedules = ({
  db,
  queue,
  engine,
  stillAdmin,
  log = (m: string) => console.error(`[flows] ${m}`),
}: {
  db: Kysely<FlowsTables>
  queue: Queue
  engine: Engine
  stillAdmin: (scope: ClientScope) => Promise<boolean>
  log?: (message: string) => void
}) => {
  const fireJob = defineJob({
    name: 'flows.fire-schedule',
    payload: z.object({ flowId: z.string(), versionId: z.string() }),
    retryLimit: 3,
    retryDelaySeconds: 10,
    handler: async ({ flowId, versionId }) => {
      await fire(flowId, versionId)
    },
  })

  const scheduleOf = async (flowId: string) => {
    const flow = await db.selectFrom('flows').selectAll().where('id', '=', flowId).executeTakeFirst()
    if (!flow || flow.state !== 'active' || !flow.publishedVersionId)
      return { flow, version: undefined, config: undefined }
    const version = await db
      .selectFrom('flowVersions')
      .select(['id', 'graph', 'createdBy'])
      .where('id', '=', flow.publishedVersionId)
      .executeTakeFirstOrThrow()
    const trigger = (version.graph as FlowGraph).nodes.find((n) => n.type === 'core.schedule')
    return { flow, version, config: trigger ? ({ timezone: 'UTC', ...trigger.config } as ScheduleConfig) : undefined }
  }

  /** Makes pg-boss's schedule of a flow match its published version and state (after each lifecycle change). */
  const sync = async (flowId: string) => {
    const { version, config } = await scheduleOf(flowId)
    if (version && config)
      await queue.schedule(fireJob, flowId, config.cron, config.timezone, { flowId, versionId: version.id })
    else await queue.unschedule(fireJob, flowId)
  }

  /** Every flow whose schedule pg-boss holds, or that should have one (start-up: a release or a restore may differ). */
  const reconcile = async () => {
    const keyed = new Set(await queue.scheduledKeys(fireJob))
    const candidates = await db
      .selectFrom('flows')
      .select('id')
      .where('state', '=', 'active')
      .where('publishedVersionId', 'is not', null)
      .execute()
    for (const id of new Set([...keyed, ...candidates.map((c) => c.id)]))
      await sync(id).catch((err: unknown) => log(`schedule ${id}: ${String(err)}`))
  }

  const fire = async (flowId: string, versionId: string, at = new Date()) => {
    const { flow, version, config } = await scheduleOf(flowId)
    // A firing left over from an earlier version or state does nothing (the schedule is being replaced).
    if (!flow || !version || !config || version.id !== versionId) return undefined
    const scope = {
      userId: version.createdBy,
      workspaceId: flow.workspaceId,
      clientId: flow.clientId,
      role: 'admin' as const,
    }
    if (!(await stillAdmin(scope))) {
      log(`schedule of ${flowId} skipped: its publisher is no longer an admin of the client`)
      return undefined
    }
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString()
    const { runId, existing } = await engine.open({
      workspaceId: flow.workspaceId,
      clientId: flow.clientId,
      flowId,
      versionId,
      trigger: 'schedule',
      triggerKey: `schedule:${minute}`,
      actingUserId: version.createdBy,
      input: { firedAt: at.toISOString(), scheduledFor: minute, cron: config.cron, timezone: config.timezone },
    })
    if (!existing) engine.kick(runId)
    return runId
  }

  return { sync, reconcile, fire, jobs: [fireJob] }
}
export type Schedules = ReturnType<typeof createSchedules>
