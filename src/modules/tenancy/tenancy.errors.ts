import { defineErrors } from '../../platform/http/errors.ts'
import { retryAfter } from '../../platform/http/http.errors.ts'

export const tenancyErrors = defineErrors('tenancy', {
  workspace_required: {
    status: 400,
    message: 'Send the X-Workspace-ID header to say which workspace this is for.',
  },
  client_required: { status: 400, message: 'Send the X-Client-ID header to say which client this is for.' },
  workspace_not_found: { status: 404, message: 'No such workspace.' },
  client_not_found: { status: 404, message: 'No such client.' },
  member_not_found: { status: 404, message: 'No such member in this workspace.' },
  no_such_member: {
    code: 'member_not_found',
    status: 404,
    when: 'A usage cap names a user who is not a member of the workspace.',
    message: 'No such member.',
  },
  invitation_not_found: {
    status: 404,
    message: 'This invitation does not exist, has expired, was revoked, or was sent to another email address.',
  },
  last_owner: { status: 409, message: 'A workspace needs at least one owner. Make someone else owner first.' },
  already_member: { status: 409, message: 'This person is already a member of the workspace.' },
  owner_required: { status: 403, message: 'Only an owner can grant, change or remove the owner role.' },
  client_archived: { status: 409, message: 'This client is archived; it can be read but not changed.' },
  invitations_throttled: {
    status: 429,
    when: 'Too many invitations to one address in a day, or from one workspace in an hour.',
    message: 'Too many invitations sent to this address or from this workspace. Try again later.',
    ...retryAfter,
  },
})
