import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { ConversationDto } from '../../../../contracts/chat.ts'
import { chatKeys, updateConversation } from './api.ts'
import type { ConversationPatch } from './api.ts'

/** Rename, pin or archive; the conversation and every list showing it are refreshed. */
export const useUpdateConversation = (id: string) => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (patch: ConversationPatch) => updateConversation(id, patch),
    meta: { success: 'Conversation updated.' },
    onSuccess: (conversation: ConversationDto) => {
      qc.setQueryData(chatKeys.conversation(id), conversation)
      void qc.invalidateQueries({ queryKey: ['chat', 'lists'] })
    },
  })
}
