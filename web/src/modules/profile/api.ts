import type { UserDto } from '../../../../contracts/identity.ts'
import { api } from '../../lib/api.ts'

export const updateProfile = (name: string) => api<{ user: UserDto }>('/api/auth/profile', { method: 'PATCH', body: { name } })

/** A wrong current password is an expected answer here, not an expired session. */
export const changePassword = (body: { currentPassword: string; newPassword: string }) =>
  api<void>('/api/auth/password', { method: 'POST', body, redirectOn401: false })
