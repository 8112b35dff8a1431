import { defineErrors } from '../../platform/http/errors.ts'

export const chatErrors = defineErrors('chat', {
  conversation_not_found: { status: 404, message: 'No such conversation.' },
  run_in_progress: {
    status: 409,
    message: 'An answer is still being written in this conversation. Wait for it or stop it first.',
  },
  no_run: { status: 404, message: 'This conversation has no answer to stream.' },
  conversation_archived: { status: 409, message: 'This conversation is archived. Unarchive it to continue.' },
  message_too_long: {
    status: 400,
    when: "The message alone does not fit the model's context window.",
    message: (p: { limit: number }) =>
      `This message is too long for the model's context window (about ${p.limit} tokens fit).`,
  },
})
