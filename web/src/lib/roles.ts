import type { Role } from '../../../contracts/common.ts'

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 }

/** owner > admin > member > viewer */
export const atLeast = (role: Role | null | undefined, min: Role) => (role ? RANK[role] >= RANK[min] : false)

export const canEdit = (role: Role | null | undefined) => atLeast(role, 'member')
export const canManage = (role: Role | null | undefined) => atLeast(role, 'admin')
