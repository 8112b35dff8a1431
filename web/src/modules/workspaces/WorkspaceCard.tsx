import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { refreshSession } from '../../app/session.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { ROLE_LABELS, formatDate } from '../../lib/format.ts'
import { canManage } from '../../lib/roles.ts'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { getWorkspace, renameWorkspace, workspaceKeys } from './api.ts'
import { WorkspaceNameForm } from './NameForm.tsx'

/** The current workspace; admins can rename it. */
export function WorkspaceCard() {
  const { workspace, role } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [editing, setEditing] = useState(false)
  const query = useQuery({
    queryKey: workspaceKeys.detail(workspace.id),
    queryFn: ({ signal }) => getWorkspace(workspace.id, signal),
  })
  const rename = useMutation({
    mutationFn: (name: string) => renameWorkspace(workspace.id, name),
    onSuccess: async (ws) => {
      qc.setQueryData(workspaceKeys.detail(ws.id), ws)
      await refreshSession(qc, { keepData: true })
      setEditing(false)
      notify('Workspace renamed')
    },
  })
  const actions =
    canManage(role) && !editing ? (
      <Button
        variant="secondary"
        onClick={() => {
          rename.reset()
          setEditing(true)
        }}
      >
        Rename
      </Button>
    ) : undefined
  return (
    <Card title="Workspace" actions={actions}>
      {editing ? (
        <WorkspaceNameForm
          initial={workspace.name}
          submitLabel="Save"
          pending={rename.isPending}
          error={rename.error}
          onSubmit={(n) => rename.mutate(n)}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <QueryState query={query}>
          {(ws) => (
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
              <dt className="text-slate-500">Name</dt>
              <dd className="font-medium text-slate-900">{ws.name}</dd>
              <dt className="text-slate-500">Plan</dt>
              <dd className="text-slate-900 capitalize">{ws.plan}</dd>
              <dt className="text-slate-500">Your role</dt>
              <dd className="text-slate-900">{ROLE_LABELS[ws.role]}</dd>
              <dt className="text-slate-500">Created</dt>
              <dd className="text-slate-900">{formatDate(ws.createdAt)}</dd>
            </dl>
          )}
        </QueryState>
      )}
    </Card>
  )
}
