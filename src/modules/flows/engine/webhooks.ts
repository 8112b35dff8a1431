import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import { IdParam } from '../../../../contracts/common.ts'
import { RunStarted, WebhookSecretDto, type FlowGraph } from '../../../../contracts/flows.ts'
import type { SecretBox } from '../../../platform/crypto/secret-box.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { errorResponses, requestMeta } from '../../../platform/http/route-helpers.ts'
import type { Runs } from '../../../platform/runs/runs.ts'
import type { AuditService } from '../../audit/audit.module.ts'
import type { ScopeResolver } from '../../tenancy/tenancy.module.ts'
import type { DefinitionsService } from '../definitions.service.ts'
import { flowsErrors } from '../flows.errors.ts'
import type { FlowsTables } from '../flows.tables.ts'
import type { Engine } from './engine.ts'

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex')
const SECRET = /^[A-Za-z0-9_-]{20,100}$/
/** Headers a webhook's run sees (never credentials or cookies). */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-internal-token'])
const MAX_BODY_BYTES = 1024 * 1024

type WebhookConfig = {
  respond: 'immediately' | 'respond-node' | 'on-completion'
  timeoutMs: number
  hmacHeader?: string
}

/**
 * A flow's public webhook: `POST /api/hooks/flows/:secret`. The URL's secret is stored as its hash (shown once, at
 * rotation); the optional HMAC secret sealed. A call starts a run of the published version as its publisher, answering
 * 202 with the run id, the answer of a "Respond to webhook" step, or the run's output at completion (bounded wait).
 */
export const createWebhooks = ({
  db,
  box,
  engine,
  runs,
  definitions,
  audit,
  publicUrl,
  stillAdmin,
}: {
  db: Kysely<FlowsTables>
  box: SecretBox
  engine: Engine
  runs: Runs
  definitions: DefinitionsService
  audit: AuditService
  publicUrl: string
  /** Is the publisher still an admin of the flow's client (a removed admin's flows stop running as them). */
  stillAdmin: (scope: ClientScope) => Promise<boolean>
}) => {
  const owner = (flowId: string) => `flow:${flowId}:webhook-hmac`
  /** Publisher checks, cached briefly: a webhook burst does not ask tenancy on every call. */
  const admins = new Map<string, { ok: boolean; at: number }>()
  const isAdmin = async (scope: ClientScope) => {
    const key = `${scope.userId}:${scope.clientId}`
    const hit = admins.get(key)
    if (hit && Date.now() - hit.at < 5000) return hit.ok
    const ok = await stillAdmin(scope)
    if (admins.size > 10_000) admins.clear()
    admins.set(key, { ok, at: Date.now() })
    return ok
  }

  /** Waits for a run's `respond` (or `done`) event, up to `ms`; undefined when it did not come in time. */
  const waitFor = async (runId: string, types: string[], ms: number) => {
    let settle!: (v: { type: string; data: Record<string, unknown> } | undefined) => void
    const result = new Promise<{ type: string; data: Record<string, unknown> } | undefined>((ok) => (settle = ok))
    const timer = setTimeout(() => settle(undefined), ms)
    let seen = 0
    const check = async () => {
      for (const row of await runs.after(runId, seen)) {
        seen = row.seq
        if (types.includes(row.type)) return settle(row)
      }
    }
    const unsubscribe = await runs.feed.subscribe(
      runId,
      (m) => {
        const hit = 'rows' in m ? m.rows.find((r) => types.includes(r.type)) : undefined
        if (hit) settle(hit)
        else void check().catch(() => undefined)
      },
      () => void check().catch(() => undefined),
    )
    await check().catch(() => undefined)
    const v = await result
    clearTimeout(timer)
    unsubscribe()
    return v
  }

  const receive = async (
    secret: string,
    raw: Buffer,
    headers: Record<string, string | string[] | undefined>,
    query: Record<string, string>,
  ) => {
    if (!SECRET.test(secret)) throw flowsErrors.webhook_not_found()
    // The hook, its flow (active, published) and the published version in one read.
    const found = await db
      .selectFrom('flowWebhooks as h')
      .innerJoin('flows as f', (j) => j.onRef('f.id', '=', 'h.flowId').onRef('f.workspaceId', '=', 'h.workspaceId'))
      .innerJoin('flowVersions as v', 'v.id', 'f.publishedVersionId')
      .select([
        'h.hmacSecret',
        'f.id as flowId',
        'f.workspaceId',
        'f.clientId',
        'v.id as versionId',
        'v.graph',
        'v.createdBy',
      ])
      .where('h.secretHash', '=', hash(secret))
      .where('f.state', '=', 'active')
      .executeTakeFirst()
    if (!found) throw flowsErrors.webhook_not_found()
    const hook = { hmacSecret: found.hmacSecret }
    const flow = { id: found.flowId, workspaceId: found.workspaceId, clientId: found.clientId }
    const version = { id: found.versionId, graph: found.graph, createdBy: found.createdBy }
    const trigger = (version.graph as FlowGraph).nodes.find((n) => n.type === 'core.webhook')
    if (!trigger) throw flowsErrors.webhook_not_found()
    const config = { respond: 'immediately', timeoutMs: 10_000, ...trigger.config } as WebhookConfig
    if (config.hmacHeader) {
      const given = headers[config.hmacHeader.toLowerCase()]
      const expected = hook.hmacSecret
        ? createHmac('sha256', box.open(hook.hmacSecret, owner(flow.id)))
            .update(raw)
            .digest('hex')
        : undefined
      const sent = typeof given === 'string' ? given.replace(/^sha256=/, '').toLowerCase() : ''
      if (!expected || sent.length !== expected.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(expected)))
        throw flowsErrors.webhook_signature()
    }
    const scope = {
      userId: version.createdBy,
      workspaceId: flow.workspaceId,
      clientId: flow.clientId,
      role: 'admin' as const,
    }
    if (!(await isAdmin(scope))) throw flowsErrors.publisher_gone()
    const type = String(headers['content-type'] ?? '')
    const text = raw.toString('utf8')
    let body: unknown = text
    if (type.includes('json') && text) {
      try {
        body = JSON.parse(text)
      } catch {
        throw flowsErrors.webhook_body_invalid()
      }
    } else if (type.includes('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(text))
    const visible = Object.fromEntries(
      Object.entries(headers).filter(([k, v]) => typeof v === 'string' && !HIDDEN_HEADERS.has(k)),
    ) as Record<string, string>
    const key = headers['idempotency-key']
    const start = {
      workspaceId: flow.workspaceId,
      clientId: flow.clientId,
      flowId: flow.id,
      versionId: version.id,
      trigger: 'webhook' as const,
      triggerKey: typeof key === 'string' && key.length <= 200 ? `idem:${key}` : null,
      actingUserId: version.createdBy,
      input: { body, headers: visible, query },
    }
    // A caller waiting for the end: the run is stored at its first checkpoint (a run of pure steps, once, complete).
    const begun = config.respond === 'on-completion' ? engine.begin(start) : undefined
    const { runId, existing } = begun ? { runId: begun.runId, existing: false } : await engine.open(start)
    const local = begun ? begun.done : existing ? undefined : engine.kick(runId)
    if (config.respond === 'immediately') return { runId, answer: undefined }
    if (config.respond === 'on-completion' && local) {
      let timer: NodeJS.Timeout | undefined
      let late = false
      const outcome = await Promise.race([
        local,
        new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), config.timeoutMs))).then(
          () => void (late = true),
        ),
      ])
      clearTimeout(timer)
      if (outcome && outcome.status !== 'waiting')
        return {
          runId,
          answer: { status: outcome.status === 'completed' ? 200 : 500, body: outcome.output ?? outcome.error ?? null },
        }
      // Not ended in time: the answer names the run, so it must exist first — and is given now, not after a second
      // wait of the same length. A slice that ended without the run's end (deferred by the cap, handed to the queue)
      // waits below for the end, wherever the run goes on.
      if (begun && !(await engine.stored(runId))) throw flowsErrors.run_not_started()
      if (late) return { runId, answer: undefined }
    }
    const got = await waitFor(
      runId,
      config.respond === 'respond-node' ? ['respond', 'done'] : ['done'],
      config.timeoutMs,
    )
    if (got?.type === 'respond')
      return { runId, answer: got.data as { status: number; body: unknown; headers?: Record<string, string> } }
    if (got?.type === 'done' && config.respond === 'on-completion') {
      const row = await db
        .selectFrom('flowRuns')
        .select(['status', 'output', 'error'])
        .where('id', '=', runId)
        .executeTakeFirstOrThrow()
      return {
        runId,
        answer: {
          status: row.status === 'completed' ? 200 : 500,
          body: row.status === 'completed' ? row.output : row.error,
        },
      }
    }
    return { runId, answer: undefined }
  }

  /** A new URL secret (and HMAC secret) for a flow, shown once; the old URL stops working at once. */
  const rotate = async (scope: ClientScope, flowId: string, meta: { ip: string }) => {
    await definitions.get(scope, flowId)
    const secret = `whk_${randomBytes(24).toString('base64url')}`
    const hmacSecret = randomBytes(32).toString('hex')
    await db.transaction().execute(async (trx) => {
      const row = {
        secretHash: hash(secret),
        secretHint: `${secret.slice(0, 8)}…`,
        hmacSecret: box.seal(hmacSecret, owner(flowId)),
        hmacHeader: null,
        rotatedAt: new Date(),
      }
      await trx
        .insertInto('flowWebhooks')
        .values({ flowId, workspaceId: scope.workspaceId, ...row })
        .onConflict((oc) => oc.column('flowId').doUpdateSet(row))
        .execute()
      await audit.record(trx, {
        action: 'flow.webhook_rotated',
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'flow',
        targetId: flowId,
        ip: meta.ip,
        metadata: { clientId: scope.clientId },
      })
    })
    return { url: `${publicUrl}/api/hooks/flows/${secret}`, secret, hmacSecret }
  }

  const routes = async (base: FastifyInstance) => {
    // The run sees the body as sent; the HMAC is checked on the exact bytes.
    base.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) =>
      done(null, body),
    )
    base.removeContentTypeParser('application/json')
    base.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES },
      (_req, body, done) => done(null, body),
    )
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.post(
      '/api/hooks/flows/:secret',
      {
        config: { public: true, webhook: 'flow' },
        bodyLimit: MAX_BODY_BYTES,
        schema: {
          tags: ['flows'],
          summary:
            "A flow's webhook: starts a run of its published version (Idempotency-Key: one run per key); 202 with the run id, or the flow's answer",
          params: z.strictObject({ secret: z.string().max(200) }),
          querystring: z.record(z.string(), z.string()),
          body: z.custom<Buffer | null>((v) => v === undefined || v === null || Buffer.isBuffer(v)).optional(),
          response: { 202: RunStarted, ...errorResponses(400, 401, 404, 409, 413, 429, 503) },
        },
      },
      async (req, reply) => {
        const { runId, answer } = await receive(req.params.secret, req.body ?? Buffer.alloc(0), req.headers, req.query)
        if (!answer) return reply.code(202).send({ runId, status: 'queued' as const })
        reply.hijack()
        const body =
          answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
        reply.raw.writeHead(answer.status, {
          ...(answer.headers ?? {}),
          'content-type':
            typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
          'x-flow-run-id': runId,
        })
        reply.raw.end(body)
      },
    )
  }

  const adminRoutes = (scope: ScopeResolver) => async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.post(
      '/api/flows/:id/webhook/rotate',
      {
        schema: {
          tags: ['flows'],
          summary: 'A new webhook URL (and HMAC secret) for the flow, shown once; the old URL stops at once (admins)',
          params: IdParam,
          response: { 200: WebhookSecretDto, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => {
        const s = await scope.owner(req, 'admin', await definitions.flowOf(req.params.id), flowsErrors.not_found)
        return rotate(s, req.params.id, requestMeta(req))
      },
    )
  }

  return { receive, rotate, routes, adminRoutes }
}
export type Webhooks = ReturnType<typeof createWebhooks>
