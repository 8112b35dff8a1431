import type { Selectable } from 'kysely'
import type { Timestamp, NullableTimestamp } from '../../platform/db/columns.ts'

export type UsersTable = {
  id: string
  email: string
  name: string
  passwordHash: string | null
  googleSub: string | null
  emailVerifiedAt: NullableTimestamp
  createdAt: Timestamp
  updatedAt: Timestamp
}

export type SessionsTable = {
  id: string
  userId: string
  tokenHash: string
  ip: string | null
  userAgent: string | null
  createdAt: Timestamp
  expiresAt: Timestamp
}

export type ApiTokensTable = {
  id: string
  userId: string
  name: string
  tokenHash: string
  prefix: string
  workspaceId: string | null
  clientId: string | null
  createdAt: Timestamp
  expiresAt: NullableTimestamp
  lastUsedAt: NullableTimestamp
  revokedAt: NullableTimestamp
}

export type AuthTokensTable = {
  id: string
  userId: string
  purpose: 'verify_email' | 'reset_password'
  tokenHash: string
  expiresAt: Date
  usedAt: NullableTimestamp
  createdAt: Timestamp
}

/** The tables the identity module owns: its handles are typed `Kysely<IdentityTables>`. */
export type IdentityTables = {
  users: UsersTable
  sessions: SessionsTable
  apiTokens: ApiTokensTable
  authTokens: AuthTokensTable
}

export type User = Selectable<UsersTable>
export type ApiToken = Selectable<ApiTokensTable>
