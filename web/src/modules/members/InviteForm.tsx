import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { isEmail, splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { Button } from '../../ui/Button.tsx'
import { CopyField } from '../../ui/CopyField.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { createInvitation, memberKeys } from './api.ts'
import type { InvitableRole } from './api.ts'

const ROLES: { value: InvitableRole; label: string; hint: string }[] = [
  { value: 'member', label: 'Member', hint: 'Works with clients and agents.' },
  { value: 'viewer', label: 'Viewer', hint: 'Sees everything, changes nothing.' },
  { value: 'admin', label: 'Admin', hint: 'Also manages members, invitations and the audit log.' },
]

export function InviteForm() {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<InvitableRole>('member')
  const [local, setLocal] = useState<string | null>(null)
  const invite = useMutation({
    mutationFn: () => createInvitation(workspace.id, { email: email.trim(), role }),
    meta: { success: 'Invitation created.' },
    onSuccess: async () => {
      setEmail('')
      await qc.invalidateQueries({ queryKey: memberKeys.invitations(workspace.id) })
    },
  })
  const server = splitApiError(invite.error, ['email', 'role'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!isEmail(email)) return setLocal('Enter a valid email address.')
    setLocal(null)
    invite.mutate()
  }
  return (
    <div className="space-y-4">
      {invite.data && (
        <Alert tone="success" title={`Invitation created for ${invite.data.invitation.email}`}>
          <p>Send this link to the invitee. It is shown only once.</p>
          <CopyField value={invite.data.acceptUrl} testId="invite-url" label="Invitation link" />
          <Button variant="ghost" className="mt-2" onClick={() => invite.reset()}>
            Done
          </Button>
        </Alert>
      )}
      <form onSubmit={submit} noValidate className="grid items-start gap-4 sm:grid-cols-[1fr_16rem_auto]">
        <FormError error={invite.error} message={server.form} className="sm:col-span-3" />
        <Field label="Invitee email" error={local ?? server.fields.email}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="off"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              maxLength={254}
              required
            />
          )}
        </Field>
        <Field label="Role" hint={ROLES.find((r) => r.value === role)?.hint} error={server.fields.role}>
          {(p) => (
            <Select {...p} value={role} onChange={(e) => setRole(e.target.value as InvitableRole)}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button type="submit" className="sm:mt-6" pending={invite.isPending}>
          Send invitation
        </Button>
      </form>
    </div>
  )
}
