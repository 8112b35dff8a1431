import { defineErrors } from '../../platform/http/errors.ts'

export const inboxErrors = defineErrors('inbox', {
  thread_not_found: { status: 404, message: 'No such conversation.' },
  channel_cannot_send: {
    status: 409,
    when: 'The conversation is on a number that cannot send now (logged out, or a QR number whose session is not running).',
    message: 'This number cannot send messages right now.',
  },
  window_closed: {
    status: 409,
    when: "More than 24 hours passed since the contact's last message: WhatsApp accepts only a template now.",
    message: 'The 24-hour window is closed: the contact has not written for a day, so only a template can be sent.',
  },
})
