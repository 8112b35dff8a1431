import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { refreshSession } from '../../app/session.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { WORKSPACE_KEY, writeStored } from '../../lib/storage.ts'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { removeMember } from './api.ts'

/** Any member may leave; the server refuses if they are the last owner. */
export function LeaveWorkspace({ userId }: { userId: string }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const [open, setOpen] = useState(false)
  const leave = useMutation({
    mutationFn: () => removeMember(workspace.id, userId),
    onSuccess: async () => {
      writeStored(WORKSPACE_KEY, null)
      await refreshSession(qc, { keepData: true })
      notify(`You left ${workspace.name}`)
      navigate('/app', { replace: true })
    },
  })
  return (
    <>
      <Button
        variant="ghost"
        className="text-red-700"
        onClick={() => {
          leave.reset()
          setOpen(true)
        }}
      >
        Leave
      </Button>
      <ConfirmDialog
        open={open}
        title={`Leave ${workspace.name}?`}
        message="You will lose access at once. Someone will have to invite you again to come back."
        confirmLabel="Leave workspace"
        pending={leave.isPending}
        error={leave.isError ? errorMessage(leave.error) : null}
        onConfirm={() => leave.mutate()}
        onCancel={() => setOpen(false)}
      />
    </>
  )
}
