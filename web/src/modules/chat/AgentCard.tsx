import { useId } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { Button } from '../../ui/Button.tsx'
import { cx } from '../../lib/cx.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

type Props = {
  agent: AgentDto
  /** Absent for viewers, who can read conversations but not start them. */
  onStart?: (prompt?: string) => void
  pending: boolean
}

/** One agent: who it is, a "Chat" button and its starter prompts, each of which starts a conversation. */
export function AgentCard({ agent, onStart, pending }: Props) {
  const headingId = useId()
  return (
    <article
      aria-labelledby={headingId}
      className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex items-start gap-3">
        <AgentAvatar agent={agent} size={40} />
        <div className="min-w-0">
          <h3 id={headingId} className="font-semibold text-slate-900">
            {agent.name}
          </h3>
          <p className="text-sm text-slate-600 first-letter:uppercase">{agent.role}</p>
        </div>
      </div>
      <p className="mt-3 flex-1 text-sm text-slate-700">{agent.description}</p>
      {onStart && (
        <>
          {agent.starterPrompts.length > 0 && (
            <ul aria-label={`Ask ${agent.name}`} className="mt-3 flex flex-wrap gap-1.5">
              {agent.starterPrompts.map((prompt) => (
                <li key={prompt}>
                  <button
                    type="button"
                    disabled={pending}
                    onClick={() => onStart(prompt)}
                    className={cx(
                      'rounded-full border border-slate-300 bg-slate-50 px-2.5 py-1 text-left',
                      'text-xs text-slate-700 hover:border-indigo-300 hover:bg-indigo-50',
                      'disabled:opacity-60',
                    )}
                  >
                    {prompt}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <Button className="mt-4 self-start" pending={pending} onClick={() => onStart()}>
            Chat<span className="sr-only"> with {agent.name}</span>
          </Button>
        </>
      )}
    </article>
  )
}
