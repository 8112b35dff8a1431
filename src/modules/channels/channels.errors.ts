import { defineErrors } from '../../platform/http/errors.ts'

export const channelsErrors = defineErrors('channels', {
  not_found: { status: 404, message: 'No such number.' },
  cloud_number_taken: {
    status: 409,
    when: 'A Cloud API phone number id is already connected to a number here (the webhook tells numbers apart by it).',
    message: 'This Cloud API phone number is already connected. Log the other one out first.',
  },
  already_logged_out: { status: 409, message: 'This number is already logged out.' },
  cloud_not_configured: {
    status: 404,
    when: 'The WhatsApp Cloud API webhook was called on a server without WHATSAPP_APP_SECRET / WHATSAPP_VERIFY_TOKEN.',
    message: 'The WhatsApp Cloud API is not configured on this server.',
  },
  webhook_verify_failed: {
    status: 403,
    when: "Meta's verification request did not carry the configured verify token.",
    message: 'The verify token does not match.',
  },
  webhook_signature_missing: {
    status: 400,
    when: 'A WhatsApp webhook came without X-Hub-Signature-256; nothing was stored.',
    message: 'The X-Hub-Signature-256 header is missing.',
  },
  webhook_signature: {
    status: 401,
    when: "A WhatsApp webhook's X-Hub-Signature-256 does not match the app secret; nothing was stored.",
    message: 'The webhook signature does not match.',
  },
  webhook_invalid: {
    status: 400,
    when: 'A signed WhatsApp webhook body is not one Camarad can read (the problem is named); nothing was stored.',
    message: (p: { problem: string }) => `The webhook body is not valid: ${p.problem}`,
  },
  not_qr: { status: 409, message: 'This is a Cloud API number: it has no QR code.' },
  already_connected: { status: 409, message: 'This number is connected already.' },
  not_waiting_for_scan: {
    status: 409,
    when: 'A pairing code was asked for a number that is not showing a QR (connected, or its QRs ran out).',
    message: 'This number is not waiting to be linked. Show a new QR code first.',
  },
  pairing_unavailable: {
    status: 503,
    when: 'The process showing the QR did not answer with a pairing code in time.',
    message: 'WhatsApp did not give a pairing code. Try again, or scan the QR code.',
  },
  backfill_unsupported: {
    status: 409,
    when: "Meta's Cloud API keeps no history to fetch: only QR numbers can ask the phone for older messages.",
    message: 'Cloud API numbers cannot fetch older messages.',
  },
  not_connected: { status: 409, message: 'This number is not connected.' },
  templates_need_cloud: {
    status: 409,
    when: "Templates were asked of a QR number: they belong to a Cloud API number's WhatsApp Business Account.",
    message: 'Only Cloud API numbers have message templates.',
  },
  no_business_account: {
    status: 409,
    when: 'A Cloud number was added without its WhatsApp Business Account id, so its templates cannot be listed.',
    message: 'This number has no WhatsApp Business Account id: add the number again with it to list its templates.',
  },
  graph_failed: {
    status: 502,
    when: "Meta's Graph API refused or failed a request made for the caller (its words are in the message).",
    message: (p: { problem: string }) => `The WhatsApp Cloud API answered: ${p.problem}`,
  },
  stale_owner: {
    status: 409,
    when: "A process that no longer holds a number's lease tried to write its auth state (refused in SQL).",
    message: 'Another process drives this number now; this one stopped writing its keys.',
  },
  auto_reply_agent_unknown: {
    status: 422,
    when: "A number's auto-reply named an agent that is not one of the client's (a built-in, or the workspace's own).",
    message: 'Choose one of your agents to answer on this number.',
  },
})
