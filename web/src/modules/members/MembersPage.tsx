import { useQuery } from '@tanstack/react-query'
import { useAuthStatus } from '../../app/session.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { listMembers, memberKeys } from './api.ts'
import { InvitationsList } from './InvitationsList.tsx'
import { InviteForm } from './InviteForm.tsx'
import { MembersTable } from './MembersTable.tsx'

export function MembersPage() {
  useTitle('Members')
  const { workspace, role } = useWorkspace()
  const me = useAuthStatus().data?.user?.id ?? ''
  const query = useQuery({
    queryKey: memberKeys.members(workspace.id),
    queryFn: ({ signal }) => listMembers(workspace.id, signal),
  })
  const admin = canManage(role)
  return (
    <>
      <PageHeader title="Members" description={`People with access to ${workspace.name}.`} />
      {!admin && <Alert className="mb-6">Only owners and admins can invite people or change roles.</Alert>}
      {admin && (
        <Card
          title="Invite someone"
          description="They get a link to join this workspace; it works once and expires."
          className="mb-8"
        >
          <InviteForm />
        </Card>
      )}
      <h2 className="mb-3 text-lg font-semibold text-slate-900">Team</h2>
      <QueryState query={query} label="Loading members…">
        {({ items }) => <MembersTable members={items} currentUserId={me} />}
      </QueryState>
      {admin && <InvitationsList />}
    </>
  )
}
