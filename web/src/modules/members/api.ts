import type { Role } from '../../../../contracts/common.ts'
import type { InvitationDto, MemberDto } from '../../../../contracts/tenancy.ts'
import { api } from '../../lib/api.ts'

export type InvitableRole = Exclude<Role, 'owner'>
export type InvitationCreated = { invitation: InvitationDto; acceptUrl: string }

const base = (ws: string) => `/api/workspaces/${encodeURIComponent(ws)}`

export const memberKeys = {
  members: (ws: string) => ['members', ws] as const,
  invitations: (ws: string) => ['invitations', ws] as const,
}

export const listMembers = (ws: string, signal?: AbortSignal) =>
  api<{ items: MemberDto[] }>(`${base(ws)}/members`, { signal })
export const changeRole = (ws: string, userId: string, role: Role) =>
  api<unknown>(`${base(ws)}/members/${encodeURIComponent(userId)}`, { method: 'PATCH', body: { role } })
export const removeMember = (ws: string, userId: string) =>
  api<void>(`${base(ws)}/members/${encodeURIComponent(userId)}`, { method: 'DELETE' })

export const listInvitations = (ws: string, signal?: AbortSignal) =>
  api<{ items: InvitationDto[] }>(`${base(ws)}/invitations`, { signal })
export const createInvitation = (ws: string, body: { email: string; role: InvitableRole }) =>
  api<InvitationCreated>(`${base(ws)}/invitations`, { method: 'POST', body })
export const revokeInvitation = (ws: string, id: string) =>
  api<void>(`${base(ws)}/invitations/${encodeURIComponent(id)}`, { method: 'DELETE' })
