import { createContext, useCallback, useContext, useMemo } from 'react'
import type { ReactNode } from 'react'
import type { Role } from '../../../contracts/common.ts'
import type { WorkspaceSummary } from '../../../contracts/identity.ts'
import { WORKSPACE_KEY, clientKey, useStoredValue, writeStored } from '../lib/storage.ts'

type WorkspaceContextValue = {
  workspaces: WorkspaceSummary[]
  workspace: WorkspaceSummary
  role: Role
  selectWorkspace: (id: string) => void
  /** The client id remembered for this workspace (may be stale; see useCurrentClient). */
  storedClientId: string | null
  selectClient: (id: string | null) => void
}

const WorkspaceContext = createContext<WorkspaceContextValue | null>(null)

/** Remember a workspace as current, e.g. right after creating or joining it. */
export const rememberWorkspace = (id: string) => writeStored(WORKSPACE_KEY, id)
export const rememberClient = (workspaceId: string, clientId: string) => writeStored(clientKey(workspaceId), clientId)

/** Current workspace from localStorage, falling back to the first one the user belongs to. */
export function WorkspaceProvider({ workspaces, children }: { workspaces: WorkspaceSummary[]; children: ReactNode }) {
  const [storedId, setStoredId] = useStoredValue(WORKSPACE_KEY)
  const workspace = workspaces.find((w) => w.id === storedId) ?? workspaces[0]
  const [storedClientId, setStoredClientId] = useStoredValue(clientKey(workspace?.id ?? 'none'))
  const selectWorkspace = useCallback((id: string) => setStoredId(id), [setStoredId])
  const value = useMemo(
    () =>
      workspace && {
        workspaces,
        workspace,
        role: workspace.role,
        selectWorkspace,
        storedClientId,
        selectClient: setStoredClientId,
      },
    [workspaces, workspace, selectWorkspace, storedClientId, setStoredClientId],
  )
  if (!value) return null
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>
}

export const useWorkspace = () => {
  const ctx = useContext(WorkspaceContext)
  if (!ctx) throw new Error('useWorkspace must be used inside WorkspaceProvider')
  return ctx
}
