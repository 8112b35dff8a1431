import type { Generated, Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp, Role } from '../../platform/db/columns.ts'

export type WorkspacesTable = {
  id: string
  name: string
  plan: Generated<string>
  createdAt: Timestamp
  updatedAt: Timestamp
}

export type MembershipsTable = {
  workspaceId: string
  userId: string
  role: Role
  createdAt: Timestamp
}

export type InvitationsTable = {
  id: string
  workspaceId: string
  email: string
  role: Role
  tokenHash: string
  invitedBy: string
  createdAt: Timestamp
  expiresAt: Timestamp
  acceptedAt: NullableTimestamp
  acceptedBy: string | null
  revokedAt: NullableTimestamp
}

export type ClientsTable = {
  id: string
  workspaceId: string
  name: string
  website: string | null
  notes: string | null
  archivedAt: NullableTimestamp
  createdAt: Timestamp
  updatedAt: Timestamp
}

/** The tables the tenancy module owns: its handles are typed `Kysely<TenancyTables>`. */
export type TenancyTables = {
  workspaces: WorkspacesTable
  memberships: MembershipsTable
  invitations: InvitationsTable
  clients: ClientsTable
}

export type Workspace = Selectable<WorkspacesTable>
export type Client = Selectable<ClientsTable>
export type Invitation = Selectable<InvitationsTable>
