import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { InvitationDto } from '../../../../contracts/tenancy.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { ROLE_LABELS, formatDate } from '../../lib/format.ts'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { listInvitations, memberKeys, revokeInvitation } from './api.ts'

/** Pending invitations of the current workspace (admins only), each revocable. */
export function InvitationsList() {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [target, setTarget] = useState<InvitationDto | null>(null)
  const query = useQuery({
    queryKey: memberKeys.invitations(workspace.id),
    queryFn: ({ signal }) => listInvitations(workspace.id, signal),
  })
  const revoke = useMutation({
    mutationFn: (inv: InvitationDto) => revokeInvitation(workspace.id, inv.id),
    onSuccess: async (_d, inv) => {
      setTarget(null)
      notify(`Invitation for ${inv.email} revoked`)
      await qc.invalidateQueries({ queryKey: memberKeys.invitations(workspace.id) })
    },
  })
  return (
    <section aria-labelledby="invitations-title" className="mt-8">
      <h2 id="invitations-title" className="mb-3 text-lg font-semibold text-slate-900">
        Pending invitations
      </h2>
      <QueryState query={query} label="Loading invitations…">
        {({ items }) => {
          const pending = items.filter((i) => i.status === 'pending')
          if (pending.length === 0) return <EmptyState title="No pending invitations" />
          return (
            <Table
              caption="Pending invitations"
              columns={[
                'Email',
                'Role',
                'Sent',
                'Expires',
                <span key="a" className="sr-only">
                  Actions
                </span>,
              ]}
            >
              {pending.map((inv) => (
                <tr key={inv.id}>
                  <Td className="break-all font-medium text-slate-900">{inv.email}</Td>
                  <Td>{ROLE_LABELS[inv.role]}</Td>
                  <Td>{formatDate(inv.createdAt)}</Td>
                  <Td>{formatDate(inv.expiresAt)}</Td>
                  <Td className="text-right">
                    <Button
                      variant="ghost"
                      className="text-red-700"
                      aria-label={`Revoke invitation for ${inv.email}`}
                      onClick={() => {
                        revoke.reset()
                        setTarget(inv)
                      }}
                    >
                      Revoke
                    </Button>
                  </Td>
                </tr>
              ))}
            </Table>
          )
        }}
      </QueryState>
      <ConfirmDialog
        open={target !== null}
        title="Revoke this invitation?"
        message={`The link sent to ${target?.email ?? ''} will stop working.`}
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        error={revoke.isError ? errorMessage(revoke.error) : null}
        onConfirm={() => target && revoke.mutate(target)}
        onCancel={() => setTarget(null)}
      />
    </section>
  )
}
