import type { Client, Invitation, Workspace } from './tenancy.tables.ts'
import type { Role } from '../../platform/db/columns.ts'
import type { ClientDto, InvitationDto, WorkspaceDto } from '../../../contracts/tenancy.ts'

export const toWorkspaceDto = (w: Pick<Workspace, 'id' | 'name' | 'plan' | 'createdAt'>, role: Role): WorkspaceDto => ({
  id: w.id,
  name: w.name,
  plan: w.plan,
  role,
  createdAt: w.createdAt.toISOString(),
})

export const toClientDto = (c: Client): ClientDto => ({
  id: c.id,
  workspaceId: c.workspaceId,
  name: c.name,
  website: c.website,
  notes: c.notes,
  archivedAt: c.archivedAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
})

export const invitationStatus = (i: Invitation, now: Date): InvitationDto['status'] =>
  i.acceptedAt ? 'accepted' : i.revokedAt ? 'revoked' : i.expiresAt <= now ? 'expired' : 'pending'

export const toInvitationDto = (i: Invitation, now: Date): InvitationDto => ({
  id: i.id,
  workspaceId: i.workspaceId,
  email: i.email,
  role: i.role,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
  status: invitationStatus(i, now),
})
