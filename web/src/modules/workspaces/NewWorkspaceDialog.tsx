import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { rememberWorkspace } from '../../app/workspace.tsx'
import { refreshSession } from '../../app/session.ts'
import { Dialog } from '../../ui/Dialog.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { createWorkspace } from './api.ts'
import { WorkspaceNameForm } from './NameForm.tsx'

/** Creates a workspace, makes it current and opens its overview. */
export function NewWorkspaceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const mutation = useMutation({
    mutationFn: createWorkspace,
    onSuccess: async (ws) => {
      rememberWorkspace(ws.id)
      await refreshSession(qc, { keepData: true })
      notify(`Workspace “${ws.name}” created`)
      onClose()
      navigate('/app')
    },
  })
  const close = () => {
    mutation.reset()
    onClose()
  }
  return (
    <Dialog open={open} title="New workspace" onClose={close}>
      <p className="mb-4 text-sm text-slate-600">
        A workspace holds its own clients, members and billing. You will be its owner.
      </p>
      <WorkspaceNameForm
        submitLabel="Create workspace"
        pending={mutation.isPending}
        error={mutation.error}
        onSubmit={(name) => mutation.mutate(name)}
        onCancel={close}
      />
    </Dialog>
  )
}
