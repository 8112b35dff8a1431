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
  template_needs_cloud: {
    status: 409,
    when: "A template was sent on a QR number: templates are Meta's Cloud API's (a QR number sends text in any case).",
    message: 'Templates are sent through Cloud API numbers only.',
  },
  message_not_found: { status: 404, message: 'No such outbound message.' },
  not_dead: {
    status: 409,
    when: 'An operator replayed a message the outbox never set aside as dead (queued, sent, or failed for good).',
    message: 'This message is not a dead letter: only those can be replayed.',
  },
})
