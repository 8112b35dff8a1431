import { badRequest, conflict, notFound } from '../../platform/http/errors.ts'

export const conversationNotFound = () => notFound('chat.conversation_not_found', 'No such conversation.')
export const runInProgress = () =>
  conflict(
    'chat.run_in_progress',
    'An answer is still being written in this conversation. Wait for it or stop it first.',
  )
export const noRun = () => notFound('chat.no_run', 'This conversation has no answer to stream.')
export const conversationArchived = () =>
  conflict('chat.conversation_archived', 'This conversation is archived. Unarchive it to continue.')
export const messageTooLong = (limit: number) =>
  badRequest(
    'chat.message_too_long',
    `This message is too long for the model's context window (about ${limit} tokens fit).`,
  )
