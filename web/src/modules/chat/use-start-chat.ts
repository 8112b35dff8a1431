import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { errorMessage } from '../../lib/api.ts'
import { useToast } from '../../ui/Toast.tsx'
import { createConversation, sendMessage } from './api.ts'

/**
 * Starts a conversation with an agent and opens it. With a prompt, the question is sent first: the server
 * accepts it and keeps writing the answer, which the conversation page resumes from its start.
 */
export const useStartChat = (clientId: string | null | undefined) => {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  return useMutation({
    mutationFn: async ({ agentId, prompt }: { agentId: string; prompt?: string }) => {
      if (!clientId) throw new Error('Pick a client first.')
      const conversation = await createConversation(clientId, agentId)
      let sendError: unknown = null
      if (prompt) {
        try {
          const res = await sendMessage(conversation.id, { content: prompt })
          await res.body?.cancel()
        } catch (e) {
          sendError = e
        }
      }
      return { conversation, sendError }
    },
    onSuccess: ({ conversation, sendError }) => {
      void qc.invalidateQueries({ queryKey: ['chat', 'lists'] })
      if (sendError) notify(`The question was not sent: ${errorMessage(sendError)}`, 'error')
      navigate(`/app/chat/${encodeURIComponent(conversation.id)}`)
    },
  })
}
