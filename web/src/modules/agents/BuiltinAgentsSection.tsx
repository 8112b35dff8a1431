import { Button } from '../../ui/Button.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { useAgents } from './queries.ts'
import { useModels } from '../models/index.ts'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { AgentRow, Badge } from './AgentRows.tsx'
import { BuiltinAgentForm } from './BuiltinAgentForm.tsx'

type Props = { editable: boolean; editor: string | null; setEditor: (e: string | null) => void }

/** The built-in agents as the current client sees them; each can be adjusted for that client only. */
export function BuiltinAgentsSection({ editable, editor, setEditor }: Props) {
  const { query: clientsQuery, client } = useCurrentClient()
  const agents = useAgents(client?.id)
  const models = useModels().data ?? []
  return (
    <section aria-labelledby="builtin-agents-heading" className="space-y-3">
      <div>
        <h2 id="builtin-agents-heading" className="text-lg font-semibold text-slate-900">
          Built-in agents{client ? ` for ${client.name}` : ''}
        </h2>
        <p className="text-sm text-slate-600">
          Give a built-in agent extra instructions or another model for the current client. Switch clients in the
          sidebar.
        </p>
      </div>
      {clientsQuery.isPending ? (
        <Skeleton label="Loading clients…" />
      ) : !client ? (
        <NoClientYet>Built-in agents are adjusted per client. Add a client first.</NoClientYet>
      ) : (
        <QueryState query={agents} label="Loading agents…">
          {(items) => (
            <ul
              aria-label="Built-in agents"
              className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
            >
              {items
                .filter((a) => a.kind === 'builtin')
                .map((a) => (
                  <AgentRow
                    key={a.id}
                    agent={a}
                    models={models}
                    badges={a.customized ? <Badge>Customized</Badge> : undefined}
                    editor={
                      editor === `builtin:${a.id}` ? (
                        <BuiltinAgentForm
                          agent={a}
                          clientId={client.id}
                          clientName={client.name}
                          onDone={() => setEditor(null)}
                        />
                      ) : undefined
                    }
                    actions={
                      editable && editor !== `builtin:${a.id}` ? (
                        <Button
                          variant="ghost"
                          aria-label={`Adjust ${a.name}`}
                          onClick={() => setEditor(`builtin:${a.id}`)}
                        >
                          Adjust
                        </Button>
                      ) : undefined
                    }
                  >
                    {a.clientInstructions && editor !== `builtin:${a.id}` && (
                      <p className="mt-1 line-clamp-2 text-xs text-slate-600">
                        <span className="font-medium">For {client.name}:</span> {a.clientInstructions}
                      </p>
                    )}
                  </AgentRow>
                ))}
            </ul>
          )}
        </QueryState>
      )}
    </section>
  )
}
