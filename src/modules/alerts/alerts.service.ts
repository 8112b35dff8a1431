import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { ZodType } from 'zod'
import { LRUCache } from 'lru-cache'
import type { AlertDto, AlertKind, AlertListQuery, AlertSeverity, AlertWebhookPut } from '../../../contracts/alerts.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { JobDefinition, Queue } from '../../platform/queue/queue.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { alertsErrors } from './alerts.errors.ts'
import { alertsRepository as repo, toAlertDto } from './alerts.repository.ts'
import type { AlertsTables } from './alerts.tables.ts'

/** What a module raises: the workspace (null for the operator's), what about (`subject`) and what a person reads. */
export type AlertDraft = {
  workspaceId: string | null
  kind: AlertKind
  severity: AlertSeverity
  /** With the kind and the time window, what makes two raises one alert (a user, a limit, a number, a flow). */
  subject: string
  title: string
  message: string
  /** A path into the app where it can be acted on (`/app/…`). */
  link?: string | null
  data?: Record<string, unknown>
}

/** How long one alert stands for every raise of the same kind and subject: a storm makes one alert per window. */
export const DEDUPE_WINDOW_MS: Record<AlertKind, number> = {
  rate_limited: 10 * 60_000,
  plan_limit: 60 * 60_000,
  number_disconnected: 10 * 60_000,
  flow_failing: 60 * 60_000,
  margin: 24 * 60 * 60_000,
}

/** The live channel of a workspace's alerts (the operator's: `alerts:operator`). */
export const alertChannel = (workspaceId: string | null) => `alerts:${workspaceId ?? 'operator'}`

/** The signing secret's owner for the secret box (associated data: a sealed secret moved to another row fails). */
const secretOwner = (workspaceId: string) => `workspace:${workspaceId}:alerts-webhook`

/** What a raise gives back: the alert when it is new (undefined inside the window), and what to call after commit. */
export type Raised = { alert: AlertDto | undefined; announce: () => void }
/** The one function other modules are given: raise an alert on their handle (root or their open transaction). */
export type RaiseAlert = (handle: Handle, draft: AlertDraft) => Promise<Raised>

export const createAlertsService = (deps: {
  db: Handle
  bus: Bus
  queue: Queue
  box: SecretBox
  audit: AuditService
  guard: { check(url: string): Promise<void> }
  /** The webhook delivery job, enqueued with a new alert of a workspace that has a webhook. */
  deliverJob: JobDefinition<ZodType<{ alertId: string }>>
  now?: () => Date
  log?: (message: string, err?: unknown) => void
}) => {
  const db = own<AlertsTables>(deps.db)
  const now = deps.now ?? (() => new Date())
  const log = deps.log ?? ((m: string, err?: unknown) => console.error(`[alerts] ${m}`, err ?? ''))
  // Keys this process has already raised in their window: a storm of raises costs no database write after the first.
  const seen = new LRUCache<string, true>({ max: 10_000, ttl: 10 * 60_000 })
  const pending = new Set<Promise<unknown>>()

  /** The message a stream gets: the alert, without its data when that would not fit the bus (the list has it all). */
  const messageOf = (alert: AlertDto) => {
    const full = JSON.stringify(alert)
    return Buffer.byteLength(full) <= deps.bus.maxPayload ? full : JSON.stringify({ ...alert, data: {} })
  }

  const raise: RaiseAlert = async (handle, draft) => {
    const at = now()
    const window = DEDUPE_WINDOW_MS[draft.kind]
    const bucket = Math.floor(at.getTime() / window)
    const dedupeKey = `${draft.workspaceId ?? 'operator'}:${draft.kind}:${draft.subject}:${bucket}`
    const none = { alert: undefined, announce: () => undefined }
    if (seen.has(dedupeKey)) return none
    const h = own<AlertsTables>(handle)
    const row = await h
      .insertInto('alerts')
      .values({
        id: newId('alt'),
        workspaceId: draft.workspaceId,
        kind: draft.kind,
        severity: draft.severity,
        subject: draft.subject,
        dedupeKey,
        title: draft.title,
        message: draft.message,
        link: draft.link ?? null,
        data: JSON.stringify(draft.data ?? {}),
        createdAt: at,
      })
      .onConflict((oc) => oc.column('dedupeKey').doNothing())
      .returningAll()
      .executeTakeFirst()
    // Remembered only where it cannot roll back: a key seen inside a transaction that fails must raise again.
    if (!handle.isTransaction) seen.set(dedupeKey, true, { ttl: Math.min(window, 10 * 60_000) })
    if (!row) return none
    const alert = toAlertDto(row)
    if (draft.workspaceId && (await repo.webhook(h, draft.workspaceId)))
      await deps.queue.enqueue(handle, deps.deliverJob, { alertId: alert.id })
    const channel = alertChannel(draft.workspaceId)
    const message = messageOf(alert)
    const publish = () =>
      void deps.bus.publish(channel, message).catch((err: unknown) => log('publishing an alert failed', err))
    if (!handle.isTransaction) {
      publish()
      return { alert, announce: () => undefined }
    }
    // In the caller's transaction: with its commit on PostgreSQL's bus, else by the caller after the commit.
    const prepared = deps.bus.prepare?.(channel, message)
    if (!prepared) return { alert, announce: publish }
    await sql`select pg_notify(${prepared.name}, ${prepared.payload})`.execute(handle)
    return { alert, announce: prepared.local }
  }

  return {
    raise,

    /** Raises on its own write, never failing the caller and not awaited (the emitters' error paths and hooks). */
    raiseQuietly(draft: AlertDraft) {
      const p: Promise<unknown> = raise(deps.db, draft)
        .catch((err: unknown) => log(`raising a ${draft.kind} alert failed`, err))
        .finally(() => pending.delete(p))
      pending.add(p)
    },

    /** Waits for the raises in flight (a shutdown; tests). */
    async drain() {
      while (pending.size) await Promise.all([...pending])
    },

    async list(workspaceId: string | null, q: AlertListQuery) {
      const page = await repo.page(db, workspaceId, {
        cursor: q.cursor,
        limit: q.limit,
        unacknowledged: q.unacknowledged === 'true',
      })
      return {
        items: page.items.map(toAlertDto),
        nextCursor: page.nextCursor,
        unacknowledged: workspaceId ? await repo.unacknowledged(db, workspaceId) : 0,
      }
    },

    async acknowledge(scope: WorkspaceScope, alertId: string) {
      const done = await repo.acknowledge(db, scope.workspaceId, alertId, scope.userId)
      if (done) return toAlertDto(done)
      const row = await repo.byId(db, scope.workspaceId, alertId)
      if (!row) throw alertsErrors.not_found()
      return toAlertDto(row)
    },

    async webhook(scope: WorkspaceScope) {
      const w = await repo.webhook(db, scope.workspaceId)
      return { webhook: w ? { url: w.url, hint: w.hint, updatedAt: w.updatedAt.toISOString() } : null }
    },

    /** Saves the URL (refused by the egress guard when it is not a public address) with a new secret, shown once. */
    async setWebhook(scope: WorkspaceScope, body: AlertWebhookPut) {
      await deps.guard.check(body.url)
      const secret = `whsec_${randomBytes(24).toString('base64url')}`
      const row = {
        workspaceId: scope.workspaceId,
        url: body.url,
        sealedSecret: deps.box.seal(secret, secretOwner(scope.workspaceId)),
        hint: secret.slice(-4),
        updatedBy: scope.userId,
        updatedAt: now(),
      }
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('alertWebhooks')
          .values(row)
          .onConflict((oc) => oc.column('workspaceId').doUpdateSet(row))
          .execute()
        await deps.audit.record(trx, {
          action: 'alert.webhook_set',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'workspace',
          targetId: scope.workspaceId,
          metadata: { url: body.url },
        })
      })
      return { url: row.url, hint: row.hint, secret, updatedAt: row.updatedAt.toISOString() }
    },

    async removeWebhook(scope: WorkspaceScope) {
      await db.transaction().execute(async (trx) => {
        const gone = await trx
          .deleteFrom('alertWebhooks')
          .where('workspaceId', '=', scope.workspaceId)
          .returning('url')
          .executeTakeFirst()
        if (!gone) throw alertsErrors.webhook_not_found()
        await deps.audit.record(trx, {
          action: 'alert.webhook_removed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'workspace',
          targetId: scope.workspaceId,
          metadata: { url: gone.url },
        })
      })
    },

    /** The workspace's webhook with its secret opened, for the delivery job. */
    async webhookFor(workspaceId: string) {
      const w = await repo.webhook(db, workspaceId)
      return w ? { url: w.url, secret: deps.box.open(w.sealedSecret, secretOwner(workspaceId)) } : undefined
    },
    alert: (id: string) =>
      db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst() as ReturnType<typeof repo.byId>,
    markDelivered: (id: string) => repo.markDelivered(db, id),
  }
}
export type AlertsService = ReturnType<typeof createAlertsService>

/** Kept narrow for the modules that only raise. */
export type AlertsRaise = Pick<AlertsService, 'raise' | 'raiseQuietly'>
