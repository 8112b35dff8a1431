import type { Role } from '../db/columns.ts'
import type { WebhookSource } from '../observability/metrics.ts'

/** Who is calling, resolved once per request from the session cookie or the Bearer token. */
export type RequestAuth =
  | { userId: string; via: 'session'; sessionId: string }
  | { userId: string; via: 'token'; tokenId: string; workspaceId: string | null; clientId: string | null }

/** The tenant a request acts in: resolved from the membership, never from the body. */
export type WorkspaceScope = { userId: string; workspaceId: string; role: Role }
export type ClientScope = WorkspaceScope & { clientId: string }

/** Where a Bearer token is bound (a workspace, or one client of it); null for sessions and unbound tokens. */
export const boundTo = (auth: RequestAuth | null): { workspaceId: string | null; clientId: string | null } | null =>
  auth?.via === 'token' && (auth.workspaceId || auth.clientId)
    ? { workspaceId: auth.workspaceId, clientId: auth.clientId }
    : null

export type RequestMeta = { ip: string; userAgent: string | null; requestId: string }

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth | null
    /**
     * When the request arrived (`performance.now()`): a cached who-you-are fact is trusted once every change committed
     * before this moment has been told to the process (ADR 0009), one barrier for all of a request's lookups.
     */
    arrivedAt: number
    /** The workspace the request's scope resolved to (set by the tenancy scope resolver; for request logs). */
    workspaceId?: string
  }
  interface FastifyContextConfig {
    /** Routes that anyone may call without signing in (listed as such in the OpenAPI document). */
    public?: boolean
    /** An inbound webhook: its deliveries are counted by source and answer (`camarad_webhook_events_total`). */
    webhook?: WebhookSource
  }
}

export const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 }
export const hasRole = (role: Role, atLeast: Role) => ROLE_RANK[role] >= ROLE_RANK[atLeast]
