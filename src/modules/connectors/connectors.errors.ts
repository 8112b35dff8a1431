import { defineErrors } from '../../platform/http/errors.ts'

export const connectorsErrors = defineErrors('connectors', {
  not_found: { status: 404, message: 'No such connection.' },
  google_not_configured: {
    status: 404,
    when: 'A Google connection was started on a server without GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET.',
    message: 'Google connections are not configured on this server.',
  },
  browser_session_required: {
    status: 403,
    when: 'A Google connection was started with an API token: the consent happens in a signed-in browser.',
    message: 'Connect Google from the web app: the consent is bound to your browser session.',
  },
  not_connected: {
    status: 409,
    when: 'Google data was asked for a client with no live connection (never connected, or disconnected).',
    message: "Google is not connected for this client: connect it in the client's connectors settings.",
  },
  reconnect_required: {
    status: 409,
    when: 'Google refused the stored grant (revoked, expired or the password changed): it is never retried.',
    message: 'Google no longer accepts this connection. Reconnect Google for this client.',
  },
  ads_account_required: {
    status: 409,
    message: 'Pick a Google Ads account for this connection first.',
  },
  ads_account_unknown: {
    status: 422,
    when: 'The Google Ads account (or its manager) picked is not one this Google login can reach.',
    message: 'This Google login cannot reach that Google Ads account.',
  },
  analytics_property_required: {
    status: 409,
    message: 'Pick a GA4 property for this connection first.',
  },
  analytics_property_unknown: {
    status: 422,
    when: 'The GA4 property picked is not one this Google login can read.',
    message: 'This Google login cannot read that GA4 property.',
  },
  range_invalid: {
    status: 400,
    when: 'A report range ends before it starts, lies in the future, or spans more than 366 days.',
    message: (p: { problem: string }) => `The date range is not valid: ${p.problem}`,
  },
  permission_denied: {
    status: 409,
    when: 'Google said the connected login may not read this Ads account or GA4 property (its words follow).',
    message: (p: { problem: string }) => `Google refused access: ${p.problem}`,
  },
  customer_not_enabled: {
    status: 409,
    when: 'The Google Ads account is not enabled (cancelled, suspended or never finished setting up).',
    message: 'This Google Ads account is not enabled. Pick another account.',
  },
  quota: {
    status: 429,
    when: "Google's quota for this project or account is spent for now (RESOURCE_EXHAUSTED): retry after the delay.",
    message: (p: { retryAfter: number }) => `Google's quota is spent for now. Try again in ${p.retryAfter} seconds.`,
    headers: (p: { retryAfter: number }) => ({ 'retry-after': String(p.retryAfter) }),
    details: (p: { retryAfter: number }) => ({ retryAfter: p.retryAfter }),
  },
  unavailable: {
    status: 503,
    when: "Google's API did not answer or answered 5xx (network, timeout, UNAVAILABLE): retry after the delay.",
    message: (p: { retryAfter: number }) => `Google is not answering right now. Try again in ${p.retryAfter} seconds.`,
    headers: (p: { retryAfter: number }) => ({ 'retry-after': String(p.retryAfter) }),
    details: (p: { retryAfter: number }) => ({ retryAfter: p.retryAfter }),
  },
  // The callback's pages (HTML, never cached): each failure of a consent's return, with what to do.
  state_missing: {
    status: 400,
    message:
      'Google sent you back, but this browser holds no pending connection (it expired, or was started in another ' +
      'browser). Start again from the client’s connectors page.',
  },
  state_invalid: {
    status: 400,
    message: 'The pending connection in this browser was altered. Start again from the client’s connectors page.',
  },
  state_expired: {
    status: 400,
    message: 'Google took longer than 10 minutes to send you back. Start again from the client’s connectors page.',
  },
  state_mismatch: {
    status: 400,
    message:
      "Google's answer does not belong to the connection this browser started. Start again from the client’s " +
      'connectors page.',
  },
  session_changed: {
    status: 401,
    message: 'The connection was started in another session. Sign in, then start again from the connectors page.',
  },
  consent_denied: {
    status: 400,
    message: 'You declined access on Google’s consent page; nothing was saved.',
  },
  consent_failed: {
    status: 400,
    when: 'Google sent the browser back with an error instead of a code (its name follows); nothing was saved.',
    message: (p: { error: string }) => `Google answered ${p.error}; nothing was saved.`,
  },
  code_missing: { status: 400, message: 'Google sent no authorization code; nothing was saved.' },
  token_exchange_failed: {
    status: 502,
    when: "Google's token endpoint refused the callback's code (its words follow); nothing was saved.",
    message: (p: { problem: string }) =>
      `Google refused to complete the connection (${p.problem}); nothing was saved. Start again.`,
  },
  google_failed: {
    status: 502,
    when: 'Google answered a request with an error Camarad has no better code for (its status and words follow).',
    message: (p: { status: string; problem: string }) => `Google answered ${p.status}: ${p.problem}`,
  },
})
