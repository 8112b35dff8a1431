import type { Generated, Selectable } from 'kysely'
import type { NullableTimestamp } from '../../platform/db/columns.ts'

export type ConnectionStatus = 'connected' | 'reconnect_required' | 'disconnected'

/**
 * A client's Google connection (ADR 0007). At most one live (not disconnected) per client and provider. Tokens are
 * sealed with the connection as owner. `tokenVersion` grows at every token write; a refresh is claimed through
 * `refreshOwner`/`refreshLeaseUntil` so one process at a time asks Google. Never deleted.
 */
export type ConnectorConnectionsTable = {
  id: string
  workspaceId: string
  clientId: string
  provider: 'google'
  status: ConnectionStatus
  statusReason: string | null
  /** The scopes Google granted, space-separated. */
  scopes: Generated<string>
  refreshToken: string | null
  accessToken: string | null
  accessTokenExpiresAt: NullableTimestamp
  tokenVersion: Generated<number>
  refreshOwner: string | null
  refreshLeaseUntil: NullableTimestamp
  /** Disconnected, its refresh token not yet revoked at Google (the revoke job clears it). */
  revokePending: Generated<boolean>
  adsCustomerId: string | null
  adsLoginCustomerId: string | null
  adsCustomerName: string | null
  analyticsPropertyId: string | null
  analyticsPropertyName: string | null
  createdBy: string
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
  connectedAt: Generated<Date>
  lastRefreshedAt: NullableTimestamp
  disconnectedAt: NullableTimestamp
}

export type ConnectorsTables = {
  connectorConnections: ConnectorConnectionsTable
}
export type ConnectionRow = Selectable<ConnectorConnectionsTable>
