/** Workspace members and invitations. */
export { MembersPage } from './MembersPage.tsx'
export { listMembers, memberKeys } from './api.ts'
