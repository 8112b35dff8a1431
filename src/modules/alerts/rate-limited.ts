import type { FastifyRequest } from 'fastify'
import { LRUCache } from 'lru-cache'
import { ID_PATTERN } from '../../../contracts/common.ts'
import type { Handle } from '../../platform/db/database.ts'
import { alertDrafts } from './alerts.drafts.ts'
import { DEDUPE_WINDOW_MS, type AlertsService } from './alerts.service.ts'

const header = (req: FastifyRequest, name: string) => {
  const v = req.headers[name]
  return typeof v === 'string' && ID_PATTERN.test(v) ? v : undefined
}

/**
 * The rate limiter's `onExceeded`: a signed-in caller refused for going too fast is an alert to the admins of the
 * workspace the request names (X-Workspace-ID, a `/api/workspaces/:id` path, its token's binding, or X-Client-ID's
 * workspace) when the caller is a member of it. A storm costs one lookup per caller and window in this process.
 */
export const createRateLimitAlerts = (deps: {
  db: Handle
  alerts: Pick<AlertsService, 'raiseQuietly'>
  memberWorkspace: (
    handle: Handle,
    userId: string,
    named: { workspaceId?: string; clientId?: string },
  ) => Promise<string | undefined>
  max: number
  log?: (message: string, err?: unknown) => void
}) => {
  const recent = new LRUCache<string, true>({ max: 10_000, ttl: DEDUPE_WINDOW_MS.rate_limited })
  return (req: FastifyRequest) => {
    const auth = req.auth
    if (!auth) return
    const params = req.params as { id?: unknown } | undefined
    const pathWorkspace =
      req.routeOptions.url?.startsWith('/api/workspaces/:id') && typeof params?.id === 'string' ? params.id : undefined
    const named = {
      workspaceId:
        header(req, 'x-workspace-id') ??
        pathWorkspace ??
        (auth.via === 'token' ? (auth.workspaceId ?? undefined) : undefined),
      clientId: header(req, 'x-client-id') ?? (auth.via === 'token' ? (auth.clientId ?? undefined) : undefined),
    }
    if (!named.workspaceId && !named.clientId) return
    const key = `${auth.userId}:${named.workspaceId ?? ''}:${named.clientId ?? ''}`
    if (recent.has(key)) return
    recent.set(key, true)
    void deps
      .memberWorkspace(deps.db, auth.userId, named)
      .then((workspaceId) => {
        if (workspaceId)
          deps.alerts.raiseQuietly(alertDrafts.rateLimited(workspaceId, { userId: auth.userId, max: deps.max }))
      })
      .catch((err: unknown) => (deps.log ?? console.error)('[alerts] rate-limit alert failed', err))
  }
}
