import { Suspense, lazy } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import type { MessageDto } from '../../../../contracts/chat.ts'
import { formatCredits } from '../../lib/credits.ts'
import type { LiveAnswer } from './live-answer.ts'
import { MessageParts } from './MessageParts.tsx'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

// The markdown renderer is its own chunk, fetched when a conversation opens; plain text shows meanwhile.
export const loadMarkdown = () => import('../../ui/MessageMarkdown.tsx').then((m) => ({ default: m.MessageMarkdown }))
const MessageMarkdown = lazy(loadMarkdown)

export type ShownMessage = Pick<
  MessageDto,
  'id' | 'role' | 'content' | 'status' | 'error' | 'offline' | 'parts' | 'agentId'
> & {
  /** Micro-credits: what the answer was charged (null: unknown), and, while it is written, what is held for it. */
  charged?: number | null
  estimate?: number | null
  billedBy?: 'camarad' | 'workspace' | null
}

const chargedOf = (m: MessageDto) => (m.usage as { charged?: number } | null)?.charged ?? null

/** Saved messages with the answer being written (and its question, until saved) in place of their rows. */
export const withLive = (messages: MessageDto[], live: LiveAnswer | null): ShownMessage[] => {
  const saved = messages.map((m): ShownMessage => (m.role === 'assistant' ? { ...m, charged: chargedOf(m) } : m))
  if (!live) return saved
  const shown = saved.filter((m) => m.id !== live.messageId)
  if (live.userText !== null && !messages.some((m) => m.id === live.userMessageId)) {
    shown.push({
      id: live.userMessageId ?? 'pending-question',
      role: 'user',
      content: live.userText,
      status: 'complete',
      error: null,
      offline: false,
      parts: [],
      agentId: null,
    })
  }
  shown.push({
    id: live.messageId ?? 'pending-answer',
    role: 'assistant',
    content: live.text,
    status: live.status,
    error: live.error,
    offline: live.offline,
    parts: live.parts,
    agentId: live.agentId,
    charged: live.charged,
    estimate: live.estimate,
    billedBy: live.billedBy,
  })
  return shown
}

/** "Charged 0.0132 credits" under an answer; while it is written, what is held for it. */
function Charge({ message }: { message: ShownMessage }) {
  const { charged, estimate, billedBy, offline } = message
  let text: string | null = null
  if (message.status === 'streaming') {
    if (estimate && billedBy !== 'workspace') text = `Up to ${formatCredits(estimate)} credits`
  } else if (charged !== null && charged !== undefined) {
    text =
      charged > 0
        ? `Charged ${formatCredits(charged)} credits`
        : offline
          ? 'Free — offline model'
          : billedBy === 'workspace'
            ? 'Billed to your own provider key'
            : 'No credits charged'
  }
  if (!text) return null
  return (
    <p data-testid="message-charge" className="mt-2 text-xs text-slate-500 tabular-nums">
      {text}
    </p>
  )
}

function AssistantMessage({ message, agent }: { message: ShownMessage; agent: AgentDto | undefined }) {
  const streaming = message.status === 'streaming'
  return (
    <li className="flex gap-3">
      <AgentAvatar agent={agent} size={32} answering={streaming} />
      <div
        data-testid="assistant-message"
        data-status={message.status}
        aria-live={streaming ? 'polite' : undefined}
        aria-busy={streaming || undefined}
        className="min-w-0 max-w-[85%] rounded-lg rounded-tl-none border border-slate-200 bg-white px-4 py-3 shadow-sm"
      >
        <p className="sr-only">{agent?.name ?? 'Agent'} said:</p>
        <MessageParts parts={message.parts} streaming={streaming} />
        {message.content ? (
          <Suspense fallback={<p className="whitespace-pre-wrap break-words text-slate-800">{message.content}</p>}>
            <MessageMarkdown source={message.content} />
          </Suspense>
        ) : (
          streaming && <p className="text-sm text-slate-500">{message.parts.length ? 'Working…' : 'Thinking…'}</p>
        )}
        {streaming && message.content && (
          <span aria-hidden="true" className="mt-2 block h-1.5 w-6 animate-pulse rounded bg-indigo-400" />
        )}
        {message.status === 'cancelled' && <p className="mt-2 text-xs font-medium text-slate-500">Stopped</p>}
        {message.status === 'failed' && (
          <p className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {message.error?.message ?? 'The answer could not be written.'}
          </p>
        )}
        <Charge message={message} />
      </div>
    </li>
  )
}

type ListProps = { messages: ShownMessage[]; agents: AgentDto[]; fallback: AgentDto | undefined }

/**
 * The conversation: questions on the right, answers (rendered markdown, tool and hand-off cards above) on the
 * left, each with the agent who wrote it (a hand-off changes the agent mid-conversation).
 */
export function MessageList({ messages, agents, fallback }: ListProps) {
  const agentOf = (m: ShownMessage) => agents.find((a) => a.id === m.agentId) ?? fallback
  return (
    <ol aria-label="Conversation history" className="space-y-4">
      {messages.map((m) =>
        m.role === 'assistant' ? (
          <AssistantMessage key={m.id} message={m} agent={agentOf(m)} />
        ) : (
          <li key={m.id} className="flex justify-end">
            <div className="max-w-[85%] rounded-lg rounded-tr-none bg-indigo-600 px-4 py-3 whitespace-pre-wrap break-words text-white">
              <p className="sr-only">You said:</p>
              {m.content}
            </div>
          </li>
        ),
      )}
    </ol>
  )
}
