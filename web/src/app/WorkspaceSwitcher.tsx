import { useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { ROLE_LABELS } from '../lib/format.ts'
import { NewWorkspaceDialog } from '../modules/workspaces/index.ts'
import { Field } from '../ui/Field.tsx'
import { Select } from '../ui/Input.tsx'
import { useWorkspace } from './workspace.tsx'

export function WorkspaceSwitcher() {
  const { workspaces, workspace, selectWorkspace } = useWorkspace()
  const [creating, setCreating] = useState(false)
  const navigate = useNavigate()
  const { pathname } = useLocation()
  const change = (id: string) => {
    selectWorkspace(id)
    // a client page belongs to the previous workspace
    if (pathname.startsWith('/app/clients/')) navigate('/app/clients')
  }
  return (
    <div className="space-y-2">
      <Field label="Workspace">
        {(p) => (
          <Select {...p} value={workspace.id} onChange={(e) => change(e.target.value)}>
            {workspaces.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name} ({ROLE_LABELS[w.role]})
              </option>
            ))}
          </Select>
        )}
      </Field>
      <button
        type="button"
        onClick={() => setCreating(true)}
        className="text-sm font-medium text-indigo-700 hover:underline"
      >
        + New workspace
      </button>
      <NewWorkspaceDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  )
}
