import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { ApiTokenDto } from '../../../../contracts/identity.ts'
import { errorMessage } from '../../lib/api.ts'
import { formatDate, formatDateTime } from '../../lib/format.ts'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { revokeToken, tokenKeys } from './api.ts'

const statusOf = (t: ApiTokenDto) =>
  t.revokedAt ? 'Revoked' : t.expiresAt && Date.parse(t.expiresAt) < Date.now() ? 'Expired' : 'Active'

export function TokensTable({ tokens }: { tokens: ApiTokenDto[] }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [target, setTarget] = useState<ApiTokenDto | null>(null)
  const revoke = useMutation({
    mutationFn: (t: ApiTokenDto) => revokeToken(t.id),
    onSuccess: async (_v, t) => {
      setTarget(null)
      notify(`Token “${t.name}” revoked`)
      await qc.invalidateQueries({ queryKey: tokenKeys.all })
    },
  })
  return (
    <>
      <Table
        caption="API tokens"
        columns={[
          'Name',
          'Prefix',
          'Created',
          'Expires',
          'Last used',
          'Status',
          <span key="a" className="sr-only">
            Actions
          </span>,
        ]}
      >
        {tokens.map((t) => (
          <tr key={t.id}>
            <Td className="font-medium text-slate-900">{t.name}</Td>
            <Td>
              <code className="text-xs">{t.prefix}…</code>
            </Td>
            <Td>{formatDate(t.createdAt)}</Td>
            <Td>{t.expiresAt ? formatDate(t.expiresAt) : 'Never'}</Td>
            <Td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'Never'}</Td>
            <Td>{statusOf(t)}</Td>
            <Td className="text-right">
              {statusOf(t) === 'Active' && (
                <Button
                  variant="ghost"
                  className="text-red-700"
                  aria-label={`Revoke ${t.name}`}
                  onClick={() => {
                    revoke.reset()
                    setTarget(t)
                  }}
                >
                  Revoke
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </Table>
      <ConfirmDialog
        open={target !== null}
        title={`Revoke “${target?.name ?? ''}”?`}
        message="Scripts using this token will stop working immediately. This cannot be undone."
        confirmLabel="Revoke token"
        pending={revoke.isPending}
        error={revoke.isError ? errorMessage(revoke.error) : null}
        onConfirm={() => target && revoke.mutate(target)}
        onCancel={() => setTarget(null)}
      />
    </>
  )
}
