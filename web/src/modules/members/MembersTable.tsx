import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { Role } from '../../../../contracts/common.ts'
import type { MemberDto } from '../../../../contracts/tenancy.ts'
import { authStatusKey } from '../../app/session.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { ROLE_LABELS, formatDate } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { Select } from '../../ui/Input.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { changeRole, memberKeys, removeMember } from './api.ts'
import { LeaveWorkspace } from './LeaveWorkspace.tsx'

const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer']

export function MembersTable({ members, currentUserId }: { members: MemberDto[]; currentUserId: string }) {
  const { workspace, role: myRole } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [removing, setRemoving] = useState<MemberDto | null>(null)
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: memberKeys.members(workspace.id) }),
      qc.invalidateQueries({ queryKey: authStatusKey }),
    ])
  const update = useMutation({
    mutationFn: ({ member, role }: { member: MemberDto; role: Role }) => changeRole(workspace.id, member.userId, role),
    onSuccess: async (_d, { member, role }) => {
      notify(`${member.name} is now ${ROLE_LABELS[role].toLowerCase()}`)
      await refresh()
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  })
  const remove = useMutation({
    mutationFn: (member: MemberDto) => removeMember(workspace.id, member.userId),
    onSuccess: async (_d, member) => {
      setRemoving(null)
      notify(`${member.name} was removed`)
      await refresh()
    },
  })
  // admins manage everyone but owners; owners manage everyone; nobody edits their own row here
  const manageable = (m: MemberDto) =>
    canManage(myRole) && m.userId !== currentUserId && (m.role !== 'owner' || myRole === 'owner')
  const roleChoices = ROLES.filter((r) => r !== 'owner' || myRole === 'owner')
  return (
    <>
      <Table
        caption="Members"
        columns={[
          'Name',
          'Email',
          'Role',
          'Joined',
          <span key="a" className="sr-only">
            Actions
          </span>,
        ]}
      >
        {members.map((m) => (
          <tr key={m.userId}>
            <Td className="font-medium text-slate-900">
              {m.name}
              {m.userId === currentUserId && <span className="ml-1 text-slate-500">(you)</span>}
            </Td>
            <Td className="break-all">{m.email}</Td>
            <Td>
              {manageable(m) ? (
                <Select
                  aria-label={`Access level for ${m.name}`}
                  className="w-32"
                  value={m.role}
                  disabled={update.isPending}
                  onChange={(e) => update.mutate({ member: m, role: e.target.value as Role })}
                >
                  {roleChoices.map((r) => (
                    <option key={r} value={r}>
                      {ROLE_LABELS[r]}
                    </option>
                  ))}
                </Select>
              ) : (
                ROLE_LABELS[m.role]
              )}
            </Td>
            <Td>{formatDate(m.joinedAt)}</Td>
            <Td className="text-right">
              {m.userId === currentUserId && <LeaveWorkspace userId={m.userId} />}
              {manageable(m) && (
                <Button
                  variant="ghost"
                  className="text-red-700"
                  aria-label={`Remove ${m.name}`}
                  onClick={() => {
                    remove.reset()
                    setRemoving(m)
                  }}
                >
                  Remove
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </Table>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.name ?? ''}?`}
        message={`${removing?.email ?? ''} will lose access to ${workspace.name} at once. You can invite them again later.`}
        confirmLabel="Remove member"
        pending={remove.isPending}
        error={remove.isError ? errorMessage(remove.error) : null}
        onConfirm={() => removing && remove.mutate(removing)}
        onCancel={() => setRemoving(null)}
      />
    </>
  )
}
