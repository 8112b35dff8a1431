import { defineErrors } from '../../platform/http/errors.ts'

export const gatewayErrors = defineErrors('gateway', {
  token_required: { status: 401, message: 'Use a Camarad API token: Authorization: Bearer cmr_…' },
  workspace_ambiguous: {
    status: 400,
    when: 'An unbound token names no workspace or client, and its owner belongs to several workspaces or to none.',
    message: (p: { workspaces: number }) =>
      p.workspaces
        ? 'You belong to several workspaces: send X-Workspace-ID or X-Client-ID, or use a token bound to one.'
        : 'You have no workspace yet.',
  },
  content_too_large: {
    status: 413,
    when: 'The messages carry more characters of content than one request accepts.',
    message: (p: { chars: number; maxChars: number }) =>
      `This request carries ${p.chars} characters of content; at most ${p.maxChars} are accepted per request.`,
    details: (p) => ({ chars: p.chars, maxChars: p.maxChars }),
  },
  invalid_tool_arguments: {
    status: 400,
    when: "An assistant message's tool call has arguments that are not JSON.",
    message: (p: { callId: string }) => `Tool call ${p.callId} has arguments that are not JSON.`,
  },
})
