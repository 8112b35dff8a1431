import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { TenancyTables } from './tenancy.tables.ts'
import type { Client } from './tenancy.tables.ts'
import type { Role } from '../../platform/db/columns.ts'
import { authErrors } from '../../platform/http/http.errors.ts'
import { boundTo, hasRole, type ClientScope, type WorkspaceScope } from '../../platform/http/request-context.ts'
import { requireAuth } from '../../platform/http/route-helpers.ts'
import { tenancyErrors } from './tenancy.errors.ts'
import { clients, memberships } from './tenancy.repository.ts'
import { createWhoCache, type Invalidations } from '../../platform/cache/who-cache.ts'

/** A cached row is shared by every request that reads it: nobody may change it in place. */
const freeze = <T extends object>(row: T | undefined) => (row ? Object.freeze(row) : undefined)

const header = (req: FastifyRequest, name: string) => {
  const v = req.headers[name]
  return typeof v === 'string' && v.length > 0 ? v : undefined
}

/**
 * Resolves the tenant of a request once, from the caller's membership: no membership → 404 (never a hint
 * that the id exists), a role below `atLeast` → 403. A token bound to a workspace or a client reaches nothing
 * else: any other workspace or client is a 404 as for a stranger, and a client-bound token has no workspace-wide
 * routes. Without X-Workspace-ID / X-Client-ID, a bound token acts in its binding.
 */
export const createScopeResolver = (db: Kysely<TenancyTables>, invalidations: Invalidations) => {
  /** User → workspace → role, in every process; any membership of the user changing drops it at commit (ADR 0009). */
  const roles = createWhoCache<Map<string, Role>>(invalidations, {
    tagsOf: (userId) => [`user:${userId}`],
    ttlMs: 60_000,
    max: 10_000,
  })
  /**
   * Client id → its row, in every process; a client changed or deleted (by its workspace's deletion too) drops it at
   * commit. With the roles above, a client-level request's scope costs no database round trip while nothing changed.
   */
  const clientRows = createWhoCache<Readonly<Client>>(invalidations, {
    tagsOf: (clientId) => [`client:${clientId}`],
    ttlMs: 60_000,
    max: 10_000,
  })
  /** The caller's workspaces and roles there, with no database round trip while nothing changed. */
  const rolesOf = async (userId: string, since?: number) =>
    (await roles.get(
      userId,
      async () => new Map((await memberships.rolesOf(db, userId)).map((m) => [m.workspaceId, m.role])),
      since,
    ))!

  const workspace = async (
    req: FastifyRequest,
    atLeast: Role,
    named = header(req, 'x-workspace-id'),
  ): Promise<WorkspaceScope> => {
    const auth = requireAuth(req)
    const bound = boundTo(auth)
    const workspaceId = named ?? bound?.workspaceId ?? undefined
    if (!workspaceId) throw tenancyErrors.workspace_required()
    if (workspaceId.length > 64 || (bound && (bound.clientId || workspaceId !== bound.workspaceId)))
      throw tenancyErrors.workspace_not_found()
    const role = (await rolesOf(auth.userId, req.arrivedAt)).get(workspaceId)
    if (!role) throw tenancyErrors.workspace_not_found()
    req.workspaceId = workspaceId
    if (!hasRole(role, atLeast)) throw authErrors.forbidden()
    return { userId: auth.userId, workspaceId, role }
  }

  /** The scope of a client-level request, with the client row it was resolved from (both cached, see above). */
  const client = async (
    req: FastifyRequest,
    atLeast: Role,
    clientId: string,
  ): Promise<ClientScope & { client: Client }> => {
    const auth = requireAuth(req)
    const bound = boundTo(auth)
    if (bound?.clientId && bound.clientId !== clientId) throw tenancyErrors.client_not_found()
    const row =
      clientId.length <= 64
        ? await clientRows.get(clientId, async () => freeze(await clients.byId(db, clientId)), req.arrivedAt)
        : undefined
    const role = row && (await rolesOf(auth.userId, req.arrivedAt)).get(row.workspaceId)
    const named = header(req, 'x-workspace-id')
    if (!row || !role || (named && named !== row.workspaceId) || (bound && bound.workspaceId !== row.workspaceId))
      throw tenancyErrors.client_not_found()
    req.workspaceId = row.workspaceId
    if (!hasRole(role, atLeast)) throw authErrors.forbidden()
    return { userId: auth.userId, workspaceId: row.workspaceId, role, clientId, client: row }
  }

  /**
   * A route addressed by a client-owned row (conversation, meeting…): the row's own client decides access.
   * An unknown row, or one of another client than X-Client-ID names, is `notFound()`; nothing else is said.
   */
  const owner = async (
    req: FastifyRequest,
    atLeast: Role,
    clientId: string | undefined,
    notFoundError: () => Error,
  ) => {
    const named = header(req, 'x-client-id')
    if (!clientId || (named && named !== clientId)) throw notFoundError()
    return client(req, atLeast, clientId)
  }

  /** A client-scoped route: the client comes from X-Client-ID (400 when missing). */
  const clientFromHeader = (req: FastifyRequest, atLeast: Role) => {
    const clientId = header(req, 'x-client-id') ?? boundTo(req.auth)?.clientId ?? undefined
    if (!clientId) throw tenancyErrors.client_required()
    return client(req, atLeast, clientId)
  }

  /** The workspace of X-Client-ID when sent, else of X-Workspace-ID. */
  const workspaceOrClient = async (req: FastifyRequest, atLeast: Role): Promise<WorkspaceScope> => {
    if (!header(req, 'x-client-id') && !boundTo(req.auth)?.clientId) return workspace(req, atLeast)
    const { userId, workspaceId, role } = await clientFromHeader(req, atLeast)
    return { userId, workspaceId, role }
  }

  /** Where a user may bind an API token: a workspace they belong to, optionally one of its clients. */
  const tokenBinding = async (userId: string, b: { workspaceId?: string; clientId?: string }) => {
    if (b.clientId) {
      const access = await clients.accessFor(db, userId, b.clientId)
      if (!access || (b.workspaceId && b.workspaceId !== access.workspaceId)) throw tenancyErrors.client_not_found()
      return { workspaceId: access.workspaceId, clientId: b.clientId }
    }
    if (b.workspaceId) {
      if (!(await memberships.find(db, userId, b.workspaceId))) throw tenancyErrors.workspace_not_found()
      return { workspaceId: b.workspaceId, clientId: null }
    }
    return { workspaceId: null, clientId: null }
  }

  /** Is this client scope still valid (membership not removed, role not lowered) — for work that outlives its request. */
  const stillAllowed = async (s: ClientScope) => {
    const access = await clients.accessFor(db, s.userId, s.clientId)
    return Boolean(access && hasRole(access.role, s.role))
  }

  return { workspace, client, owner, clientFromHeader, workspaceOrClient, tokenBinding, stillAllowed, rolesOf }
}
export type ScopeResolver = ReturnType<typeof createScopeResolver>
