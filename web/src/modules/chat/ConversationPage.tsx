import { useQuery } from '@tanstack/react-query'
import { useEffect } from 'react'
import { Link, useParams } from 'react-router'
import type { ConversationDto, MessageDto } from '../../../../contracts/chat.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { canEdit } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { CapWarnings } from '../credits/index.ts'
import { useBalance } from '../credits/index.ts'
import { chatKeys, getConversation, listMessages } from './api.ts'
import { Composer } from './Composer.tsx'
import { ConversationHeader } from './ConversationHeader.tsx'
import { MessageList, loadMarkdown, withLive } from './MessageList.tsx'
import { useAgents } from '../agents/index.ts'
import { useModels } from '../models/index.ts'
import { useAnswer } from './use-answer.ts'
import { useAutoScroll } from './use-auto-scroll.ts'
import { SendError } from './SendError.tsx'
import { useConversationClient } from './use-conversation-client.ts'

/** /app/chat/:conversationId */
export function ConversationPage() {
  const { conversationId = '' } = useParams()
  return <ConversationLoader key={conversationId} id={conversationId} />
}

function ConversationLoader({ id }: { id: string }) {
  const conversation = useQuery({
    queryKey: chatKeys.conversation(id),
    queryFn: ({ signal }) => getConversation(id, signal),
  })
  const messages = useQuery({ queryKey: chatKeys.messages(id), queryFn: ({ signal }) => listMessages(id, signal) })
  useEffect(() => {
    void loadMarkdown()
  }, [])
  return (
    <div className="mx-auto flex max-w-3xl flex-col">
      <Link to="/app/chat" className="mb-3 self-start text-sm font-medium text-indigo-700 hover:underline">
        ← All conversations
      </Link>
      <QueryState query={conversation} label="Loading the conversation…">
        {(c) => (
          <QueryState query={messages} label="Loading messages…">
            {(items) => <Conversation conversation={c} messages={items} />}
          </QueryState>
        )}
      </QueryState>
    </div>
  )
}

function Conversation({ conversation, messages }: { conversation: ConversationDto; messages: MessageDto[] }) {
  useTitle(conversation.title)
  useConversationClient(conversation.clientId)
  const editable = canEdit(useWorkspace().role)
  const agents = useAgents(conversation.clientId)
  const models = useModels()
  const agent = agents.data?.find((a) => a.id === conversation.agentId)
  const answer = useAnswer(conversation.id)
  const balance = useBalance(conversation.clientId)
  const { live, resume } = answer

  const savedStreaming = messages.some((m) => m.role === 'assistant' && m.status === 'streaming')
  const needsResume = conversation.running || savedStreaming
  useEffect(() => {
    if (needsResume) resume()
  }, [needsResume, resume])

  const shown = withLive(messages, live)
  const streaming = live ? live.status === 'streaming' : needsResume
  const lastAnswer = shown.findLast((m) => m.role === 'assistant')
  useAutoScroll(
    `${shown.length}:${lastAnswer?.content.length ?? 0}:${lastAnswer?.parts.length ?? 0}:${lastAnswer?.status}`,
  )
  const modelIds = models.data?.map((m) => m.id) ?? []
  const defaultModelId = agent?.modelId && modelIds.includes(agent.modelId) ? agent.modelId : ''

  return (
    <>
      <ConversationHeader conversation={conversation} agent={agent} editable={editable} />
      {shown.length === 0 ? (
        <p className="py-8 text-center text-sm text-slate-600">
          {editable ? `Ask ${agent?.name ?? 'the agent'} anything about this client.` : 'No messages yet.'}
        </p>
      ) : (
        <MessageList messages={shown} agents={agents.data ?? []} fallback={agent} />
      )}
      <div className="h-4" />
      <div className="sticky bottom-0 space-y-2 bg-slate-50 pt-2 pb-4">
        {lastAnswer?.offline && (
          <p
            data-testid="offline-banner"
            role="status"
            className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
          >
            <strong className="font-semibold">Offline model</strong> — no AI provider is configured; answers are
            composed locally.
          </p>
        )}
        {answer.error !== null && (
          <Alert tone="error">
            <div className="flex items-start justify-between gap-3">
              <SendError error={answer.error} />
              <Button variant="ghost" className="-my-1 px-2 py-1" onClick={answer.clearError}>
                Dismiss
              </Button>
            </div>
          </Alert>
        )}
        {editable && balance.data && (
          <CapWarnings
            caps={balance.data.caps}
            upgradeUrl={balance.data.upgradeUrl}
            subjectName={(c) =>
              c.subjectKind === 'workspace' ? 'this workspace' : c.subjectKind === 'client' ? 'this client' : 'you'
            }
          />
        )}
        {!editable ? (
          <p className="text-center text-sm text-slate-600">You have view-only access to this conversation.</p>
        ) : conversation.archivedAt ? (
          <p className="text-center text-sm text-slate-600">This conversation is archived. Unarchive it to continue.</p>
        ) : (
          <Composer
            conversationId={conversation.id}
            clientId={conversation.clientId}
            models={models.data ?? []}
            modelsLoading={models.isPending}
            defaultModelId={defaultModelId}
            starterPrompts={shown.length === 0 ? (agent?.starterPrompts ?? []) : []}
            streaming={streaming}
            stopping={answer.stopping}
            onSend={answer.send}
            onStop={() => void answer.stop()}
          />
        )}
      </div>
    </>
  )
}
