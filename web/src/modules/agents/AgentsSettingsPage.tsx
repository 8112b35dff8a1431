import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { BuiltinAgentsSection } from './BuiltinAgentsSection.tsx'
import { CustomAgentsSection } from './CustomAgentsSection.tsx'

/** /app/settings/agents: the workspace's own agents, and the built-ins adjusted for the current client. */
export function AgentsSettingsPage() {
  useTitle('Agents')
  const editable = canEdit(useWorkspace().role)
  // One editor at a time: 'new', 'custom:<id>' or 'builtin:<id>'.
  const [editor, setEditor] = useState<string | null>(null)
  return (
    <>
      <PageHeader title="Agents" description="Define your own agents and tune the built-in ones." />
      {!editable && (
        <Alert className="mb-6">You have view-only access: you can see the agents but not change them.</Alert>
      )}
      <div className="space-y-10">
        <CustomAgentsSection editable={editable} editor={editor} setEditor={setEditor} />
        <BuiltinAgentsSection editable={editable} editor={editor} setEditor={setEditor} />
      </div>
    </>
  )
}
