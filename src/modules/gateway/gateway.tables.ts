import type { Timestamp } from '../../platform/db/columns.ts'

export type StreamProgressTable = {
  workspaceId: string
  requestId: string
  output: string
  updatedAt: Timestamp
}

/** The tables the gateway module owns: its handles are typed `Kysely<GatewayTables>`. */
export type GatewayTables = {
  streamProgress: StreamProgressTable
}
