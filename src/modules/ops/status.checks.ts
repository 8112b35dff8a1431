import { sql } from 'kysely'
import {
  COMPONENT_KEYS,
  type ComponentKey,
  type ComponentState,
  type StatusComponentDto,
} from '../../../contracts/status.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { WorkerHeartbeat } from './heartbeat.ts'

export type CheckResult = { state: ComponentState; message: string }
type Check = () => Promise<CheckResult>

/** Aggregates other modules report (never per workspace): numbers that should be online, and those that are. */
export type WhatsAppHealth = { expected: number; connected: number }
/** Stripe webhook events received in the last hour still waiting past their grace, and dead ones. */
export type StripeHealth = { stalePending: number; dead: number }

/** A queue whose oldest due job has waited this long is degraded (the `CamaradJobAge` alert's threshold), then down. */
export const QUEUE_DEGRADED_SECONDS = 15 * 60
export const QUEUE_DOWN_SECONDS = 60 * 60

const NAMES: Record<ComponentKey, string> = {
  api: 'API',
  workers: 'Background workers',
  database: 'Database',
  queue: 'Job queue',
  whatsapp: 'WhatsApp numbers',
  stripe: 'Stripe payments',
}
const ORDER: ComponentState[] = ['not_configured', 'operational', 'degraded', 'down']

const minutes = (seconds: number) => `${Math.max(1, Math.round(seconds / 60))} minute${seconds < 90 ? '' : 's'}`

/**
 * The status page's live checks. Each runs with a deadline; one that throws or times out is `down` with a plain
 * message (the error itself is logged by the caller, never shown).
 */
export const createStatusChecks = (deps: {
  db: Handle
  queue: Pick<Queue, 'oldestAges'>
  heartbeat: Pick<WorkerHeartbeat, 'alive'>
  whatsapp: () => Promise<WhatsAppHealth>
  /** Absent when Stripe is not configured. */
  stripe?: () => Promise<StripeHealth>
}): Record<ComponentKey, Check> => ({
  api: async () => ({ state: 'operational', message: 'Answering requests.' }),
  database: async () => {
    await sql`select 1`.execute(deps.db)
    return { state: 'operational', message: 'Reachable.' }
  },
  workers: async () => {
    const alive = await deps.heartbeat.alive()
    return alive > 0
      ? { state: 'operational', message: 'Working background jobs.' }
      : { state: 'down', message: 'No process is working background jobs.' }
  },
  queue: async () => {
    const oldest = Math.max(0, ...(await deps.queue.oldestAges()).map((q) => q.seconds))
    if (oldest >= QUEUE_DOWN_SECONDS)
      return { state: 'down', message: `Background jobs have waited ${minutes(oldest)}.` }
    if (oldest >= QUEUE_DEGRADED_SECONDS)
      return { state: 'degraded', message: `Some background jobs have waited ${minutes(oldest)}.` }
    return { state: 'operational', message: 'Jobs start on time.' }
  },
  whatsapp: async () => {
    const { expected, connected } = await deps.whatsapp()
    if (expected === 0) return { state: 'not_configured', message: 'No WhatsApp numbers are connected yet.' }
    const message = `${connected} of ${expected} numbers connected.`
    if (connected >= expected) return { state: 'operational', message }
    return { state: connected === 0 ? 'down' : 'degraded', message }
  },
  stripe: async () => {
    if (!deps.stripe) return { state: 'not_configured', message: 'Payments are not enabled on this server.' }
    const { stalePending, dead } = await deps.stripe()
    if (dead > 0) return { state: 'degraded', message: 'Some payment events of the last hour could not be applied.' }
    if (stalePending > 0) return { state: 'degraded', message: 'Payment events are being applied with a delay.' }
    return { state: 'operational', message: 'Payment events are applied.' }
  },
})

/** Runs every check at once, each within `timeoutMs`; never throws. */
export const runChecks = async (
  checks: Record<ComponentKey, Check>,
  options: { timeoutMs: number; onError?: (key: ComponentKey, err: unknown) => void },
): Promise<StatusComponentDto[]> =>
  Promise.all(
    COMPONENT_KEYS.map(async (key) => {
      const check = checks[key]
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${key} check timed out`)), options.timeoutMs)
      })
      try {
        const result = await Promise.race([check(), deadline])
        return { key, name: NAMES[key], ...result }
      } catch (err) {
        options.onError?.(key, err)
        return { key, name: NAMES[key], state: 'down' as const, message: 'Not responding.' }
      } finally {
        clearTimeout(timer)
      }
    }),
  )

/** The worst configured component's state. */
export const overallState = (components: Pick<StatusComponentDto, 'state'>[]) =>
  components.reduce<'operational' | 'degraded' | 'down'>((worst, c) => {
    if (c.state === 'not_configured') return worst
    return ORDER.indexOf(c.state) > ORDER.indexOf(worst) ? c.state : worst
  }, 'operational')
