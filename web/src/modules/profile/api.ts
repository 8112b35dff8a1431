import type { AuditEventDto } from '../../../../contracts/audit.ts'
import type { UserDto } from '../../../../contracts/identity.ts'
import { api } from '../../lib/api.ts'

export const updateProfile = (name: string) =>
  api<{ user: UserDto }>('/api/auth/profile', { method: 'PATCH', body: { name } })

/** A wrong current password is an expected answer here, not an expired session. */
export const changePassword = (body: { currentPassword: string; newPassword: string }) =>
  api<void>('/api/auth/password', { method: 'POST', body, redirectOn401: false })

export type AccountEvent = AuditEventDto
export const activityKey = ['auth', 'activity'] as const

/** Your own sign-in history and account events, newest first (keyset-paged). */
export const getActivity = (cursor: string | null, signal?: AbortSignal) =>
  api<{ items: AccountEvent[]; nextCursor: string | null }>('/api/auth/activity', {
    query: { cursor, limit: 20 },
    signal,
  })
