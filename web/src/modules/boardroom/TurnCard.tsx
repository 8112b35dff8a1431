import { Suspense, lazy, useId } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import type { LiveTurn } from './live-meeting.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

const MessageMarkdown = lazy(() => import('../../ui/MessageMarkdown.tsx').then((m) => ({ default: m.MessageMarkdown })))

function Content({ turn }: { turn: LiveTurn }) {
  const streaming = turn.status === 'streaming'
  return (
    <>
      {turn.content ? (
        <Suspense fallback={<p className="whitespace-pre-wrap break-words text-slate-800">{turn.content}</p>}>
          <MessageMarkdown source={turn.content} />
        </Suspense>
      ) : (
        streaming && <p className="text-sm text-slate-500">Thinking…</p>
      )}
      {streaming && turn.content && (
        <span aria-hidden="true" className="mt-2 block h-1.5 w-6 animate-pulse rounded bg-indigo-400" />
      )}
      {turn.status === 'cancelled' && <p className="mt-2 text-xs font-medium text-slate-500">Stopped</p>}
      {turn.status === 'failed' && (
        <p className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {turn.error?.message ?? 'This turn could not be written.'}
        </p>
      )}
    </>
  )
}

/** One agent speaking: avatar, name, round, what they said (markdown), a pulse while it grows. */
export function TurnCard({ turn, agent }: { turn: LiveTurn; agent: AgentDto | undefined }) {
  const headingId = useId()
  const streaming = turn.status === 'streaming'
  return (
    <li>
      <article
        aria-labelledby={headingId}
        aria-busy={streaming || undefined}
        data-testid="meeting-turn"
        data-status={turn.status}
        className="flex gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
      >
        <AgentAvatar agent={agent} size={36} answering={streaming} />
        <div className="min-w-0 flex-1">
          <div className="mb-2 flex flex-wrap items-baseline gap-x-2">
            <h3 id={headingId} className="font-semibold text-slate-900">
              {agent?.name ?? 'Agent'}
            </h3>
            <span className="text-xs font-medium text-slate-500">Round {turn.round}</span>
            {streaming && <span className="text-xs text-indigo-700">speaking…</span>}
          </div>
          <Content turn={turn} />
        </div>
      </article>
    </li>
  )
}

/** The moderator's closing turn: summary, decisions, action items. */
export function SummaryCard({ turn }: { turn: LiveTurn }) {
  const streaming = turn.status === 'streaming'
  return (
    <section
      aria-labelledby="meeting-summary-heading"
      aria-busy={streaming || undefined}
      data-testid="meeting-summary"
      data-status={turn.status}
      className="rounded-lg border border-indigo-200 bg-indigo-50/60 p-5 shadow-sm"
    >
      <div className="mb-2 flex flex-wrap items-baseline gap-x-2">
        <h2 id="meeting-summary-heading" className="text-lg font-semibold text-slate-900">
          Summary
        </h2>
        <span className="text-xs font-medium text-slate-600">by the moderator{streaming ? ' · writing…' : ''}</span>
      </div>
      <Content turn={turn} />
    </section>
  )
}
