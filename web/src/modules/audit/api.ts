import type { AuditAction, AuditEventDto } from '../../../../contracts/audit.ts'
import { api } from '../../lib/api.ts'

export type AuditPage = { items: AuditEventDto[]; nextCursor: string | null }

/** Mirrors contracts/audit.ts AuditAction, kept as plain data so zod stays out of the bundle. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.signup',
  'auth.password_changed',
  'token.created',
  'token.revoked',
  'workspace.created',
  'member.role_changed',
  'member.removed',
  'member.joined',
  'invitation.created',
  'invitation.revoked',
  'client.created',
  'client.archived',
] as const satisfies readonly AuditAction[]

export const auditKeys = { list: (ws: string, action: string) => ['audit', ws, action] as const }

export const listAudit = (ws: string, params: { cursor?: string | undefined; action?: string }, signal?: AbortSignal) =>
  api<AuditPage>('/api/audit', {
    workspaceId: ws,
    signal,
    query: { cursor: params.cursor, limit: 50, action: params.action },
  })
