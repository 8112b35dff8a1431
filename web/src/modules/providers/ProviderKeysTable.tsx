import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { KeyProvider, ProviderKeyDto } from '../../../../contracts/provider-keys.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { modelKeys } from '../models/index.ts'
import { deleteProviderKey, providerKeyKeys, providerLabel } from './api.ts'

/** The workspace's keys, by hint only; each can be replaced (through the form) or removed. */
export function ProviderKeysTable({
  keys,
  onReplace,
}: {
  keys: ProviderKeyDto[]
  onReplace: (p: KeyProvider) => void
}) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [target, setTarget] = useState<ProviderKeyDto | null>(null)
  const remove = useMutation({
    mutationFn: (k: ProviderKeyDto) => deleteProviderKey(workspace.id, k.provider),
    onSuccess: async (_v, k) => {
      setTarget(null)
      notify(`${providerLabel(k.provider)} key removed`)
      await Promise.all([
        qc.invalidateQueries({ queryKey: providerKeyKeys.list(workspace.id) }),
        qc.invalidateQueries({ queryKey: modelKeys.all }),
      ])
    },
  })
  return (
    <>
      <Table
        caption="Provider keys"
        columns={[
          'Provider',
          'Key',
          'Base URL',
          'Models',
          'Updated',
          <span key="a" className="sr-only">
            Actions
          </span>,
        ]}
      >
        {keys.map((k) => (
          <tr key={k.provider} data-testid="provider-key-row">
            <Td className="font-medium text-slate-900">{providerLabel(k.provider)}</Td>
            <Td>
              <code className="text-xs" aria-label={`Key ending in ${k.keyHint}`}>
                ••••{k.keyHint}
              </code>
            </Td>
            <Td className="max-w-48 truncate">{k.baseUrl ?? <span className="text-slate-500">Default</span>}</Td>
            <Td>{k.models.length ? k.models.join(', ') : <span className="text-slate-500">All</span>}</Td>
            <Td>{formatDateTime(k.updatedAt)}</Td>
            <Td className="text-right whitespace-nowrap">
              <Button
                variant="ghost"
                aria-label={`Replace the ${providerLabel(k.provider)} key`}
                onClick={() => onReplace(k.provider)}
              >
                Replace
              </Button>
              <Button
                variant="ghost"
                className="text-red-700"
                aria-label={`Remove the ${providerLabel(k.provider)} key`}
                onClick={() => {
                  remove.reset()
                  setTarget(k)
                }}
              >
                Remove
              </Button>
            </Td>
          </tr>
        ))}
      </Table>
      <ConfirmDialog
        open={target !== null}
        title={`Remove the ${target ? providerLabel(target.provider) : ''} key?`}
        message="Agents set to this provider’s models fall back to the server’s keys, or to the offline model. The key is deleted for good."
        confirmLabel="Remove key"
        pending={remove.isPending}
        error={remove.isError ? errorMessage(remove.error) : null}
        onConfirm={() => target && remove.mutate(target)}
        onCancel={() => setTarget(null)}
      />
    </>
  )
}
