import type { ReactNode } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import type { ModelDto } from '../models/index.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

const modelName = (id: string | null, models: ModelDto[], fallback: string) =>
  id ? (models.find((m) => m.id === id)?.label ?? id) : fallback

/** One agent as a row: avatar, name, a line about it, badges; the actions (and an open editor) below. */
export function AgentRow({
  agent,
  models,
  badges,
  actions,
  editor,
  children,
}: {
  agent: AgentDto
  models: ModelDto[]
  badges?: ReactNode
  actions?: ReactNode
  editor?: ReactNode
  children?: ReactNode
}) {
  return (
    <li data-testid="agent-row" className="px-4 py-3">
      <div className="flex flex-wrap items-start gap-3">
        <AgentAvatar agent={agent} size={40} />
        <div className="min-w-0 flex-1">
          <h3 className="flex flex-wrap items-center gap-2 font-semibold text-slate-900">
            {agent.name}
            {badges}
          </h3>
          {agent.description && <p className="text-sm text-slate-600">{agent.description}</p>}
          <p className="mt-1 text-xs text-slate-500">
            Model: {modelName(agent.modelId, models, agent.kind === 'builtin' ? 'agent default' : 'workspace default')}
            {agent.kind === 'custom' && ` · Tools: ${agent.tools.length ? agent.tools.join(', ') : 'none'}`}
          </p>
          {children}
        </div>
        {actions && <div className="flex shrink-0 gap-1">{actions}</div>}
      </div>
      {editor && <div className="mt-4 rounded-md border border-slate-200 bg-slate-50 p-4">{editor}</div>}
    </li>
  )
}

export const Badge = ({ children }: { children: ReactNode }) => (
  <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900">{children}</span>
)
