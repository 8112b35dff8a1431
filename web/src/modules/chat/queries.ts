import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { ConversationDto } from '../../../../contracts/chat.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { chatKeys, listAgents, listModels, updateConversation } from './api.ts'
import type { ConversationPatch } from './api.ts'

/** The agents a client can talk to (built-in and the workspace's own). */
export const useAgents = (clientId: string | null | undefined) =>
  useQuery({
    queryKey: chatKeys.agents(clientId ?? 'none'),
    queryFn: ({ signal }) => listAgents(clientId!, signal),
    enabled: Boolean(clientId),
    staleTime: 60_000,
  })

/** The models the current workspace can use: the server's, its own provider keys' and the offline one (last). */
export const useModels = () => {
  const { workspace } = useWorkspace()
  return useQuery({
    queryKey: chatKeys.models(workspace.id),
    queryFn: ({ signal }) => listModels(workspace.id, signal),
    staleTime: 5 * 60_000,
  })
}

/** Rename, pin or archive; the conversation and every list showing it are refreshed. */
export const useUpdateConversation = (id: string) => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (patch: ConversationPatch) => updateConversation(id, patch),
    onSuccess: (conversation: ConversationDto) => {
      qc.setQueryData(chatKeys.conversation(id), conversation)
      void qc.invalidateQueries({ queryKey: ['chat', 'lists'] })
    },
  })
}
