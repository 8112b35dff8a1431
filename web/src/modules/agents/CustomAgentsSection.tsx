import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { useModels } from '../models/index.ts'
import { AgentRow } from './AgentRows.tsx'
import { agentKeys, listWorkspaceAgents, updateAgent } from './api.ts'
import { CustomAgentForm } from './CustomAgentForm.tsx'

type Props = { editable: boolean; editor: string | null; setEditor: (e: string | null) => void }

/** The workspace's own agents: create, edit, archive (archived ones leave every list). */
export function CustomAgentsSection({ editable, editor, setEditor }: Props) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const models = useModels().data ?? []
  const agents = useQuery({
    queryKey: agentKeys.workspace(workspace.id),
    queryFn: ({ signal }) => listWorkspaceAgents(workspace.id, signal),
  })
  const [target, setTarget] = useState<AgentDto | null>(null)
  const archive = useMutation({
    mutationFn: (a: AgentDto) => updateAgent(a.id, { archived: true }),
    onSuccess: async (_v, a) => {
      setTarget(null)
      notify(`${a.name} archived`)
      await qc.invalidateQueries({ queryKey: agentKeys.all })
    },
  })
  const close = () => setEditor(null)
  return (
    <section aria-labelledby="custom-agents-heading" className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="custom-agents-heading" className="text-lg font-semibold text-slate-900">
            Your agents
          </h2>
          <p className="text-sm text-slate-600">
            Agents your team defines, available to every client of {workspace.name}.
          </p>
        </div>
        {editable && editor !== 'new' && <Button onClick={() => setEditor('new')}>New agent</Button>}
      </div>
      {editor === 'new' && (
        <Card title="New agent">
          <CustomAgentForm onDone={close} />
        </Card>
      )}
      <QueryState query={agents} label="Loading agents…">
        {(items) => {
          const custom = items.filter((a) => a.kind === 'custom')
          if (custom.length === 0)
            return (
              <EmptyState title="No agents of your own yet">
                {editable
                  ? 'Create one with its own instructions, model and tools.'
                  : 'Agents your team creates show up here.'}
              </EmptyState>
            )
          return (
            <ul
              aria-label="Your agents"
              className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
            >
              {custom.map((a) => (
                <AgentRow
                  key={a.id}
                  agent={a}
                  models={models}
                  editor={editor === `custom:${a.id}` ? <CustomAgentForm agent={a} onDone={close} /> : undefined}
                  actions={
                    editable && editor !== `custom:${a.id}` ? (
                      <>
                        <Button
                          variant="ghost"
                          aria-label={`Edit ${a.name}`}
                          onClick={() => setEditor(`custom:${a.id}`)}
                        >
                          Edit
                        </Button>
                        <Button
                          variant="ghost"
                          className="text-red-700"
                          aria-label={`Archive ${a.name}`}
                          onClick={() => {
                            archive.reset()
                            setTarget(a)
                          }}
                        >
                          Archive
                        </Button>
                      </>
                    ) : undefined
                  }
                />
              ))}
            </ul>
          )
        }}
      </QueryState>
      <ConfirmDialog
        open={target !== null}
        title={`Archive ${target?.name ?? ''}?`}
        message="It disappears from the agent lists; past conversations with it stay readable."
        confirmLabel="Archive agent"
        pending={archive.isPending}
        error={archive.isError ? errorMessage(archive.error) : null}
        onConfirm={() => target && archive.mutate(target)}
        onCancel={() => setTarget(null)}
      />
    </section>
  )
}
