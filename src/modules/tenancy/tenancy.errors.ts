import { badRequest, conflict, forbidden, notFound } from '../../platform/http/errors.ts'

export const workspaceRequired = () =>
  badRequest('tenancy.workspace_required', 'Send the X-Workspace-ID header to say which workspace this is for.')
export const clientRequired = () =>
  badRequest('tenancy.client_required', 'Send the X-Client-ID header to say which client this is for.')
export const workspaceNotFound = () => notFound('tenancy.workspace_not_found', 'No such workspace.')
export const clientNotFound = () => notFound('tenancy.client_not_found', 'No such client.')
export const memberNotFound = () => notFound('tenancy.member_not_found', 'No such member in this workspace.')
export const invitationNotFound = () =>
  notFound(
    'tenancy.invitation_not_found',
    'This invitation does not exist, has expired, was revoked, or was sent to another email address.',
  )
export const lastOwner = () =>
  conflict('tenancy.last_owner', 'A workspace needs at least one owner. Make someone else owner first.')
export const alreadyMember = () =>
  conflict('tenancy.already_member', 'This person is already a member of the workspace.')
export const ownerOnly = () =>
  forbidden('tenancy.owner_required', 'Only an owner can grant, change or remove the owner role.')
export const clientArchived = () =>
  conflict('tenancy.client_archived', 'This client is archived; it can be read but not changed.')
