import type { AuditEventDto } from '../../../../contracts/audit.ts'
import { api } from '../../lib/api.ts'

export type AuditPage = { items: AuditEventDto[]; nextCursor: string | null }

// Plain data from contracts/ (no zod in the bundle): every action the server records.
export { AUDIT_ACTIONS } from '../../../../contracts/audit-actions.ts'

export const auditKeys = { list: (ws: string, action: string) => ['audit', ws, action] as const }

export const listAudit = (ws: string, params: { cursor?: string | undefined; action?: string }, signal?: AbortSignal) =>
  api<AuditPage>('/api/audit', {
    workspaceId: ws,
    signal,
    query: { cursor: params.cursor, limit: 50, action: params.action },
  })
