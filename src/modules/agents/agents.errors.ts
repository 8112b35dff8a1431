import { defineErrors } from '../../platform/http/errors.ts'
import { AGENT_AVATAR_MAX_BYTES } from '../../../contracts/agents.ts'

export const agentsErrors = defineErrors('agents', {
  not_found: { status: 404, message: 'No such agent.' },
  builtin_readonly: { status: 409, message: 'Built-in agents cannot be edited; create your own agent instead.' },
  model_unavailable: {
    status: 409,
    when: "The agent's model is not in this server's catalog.",
    message: (p: { modelId: string }) => `The model ${p.modelId} is not available on this server.`,
  },
  avatar_too_large: {
    status: 413,
    when: `An uploaded avatar holds more than ${AGENT_AVATAR_MAX_BYTES} bytes.`,
    message: `The picture is too large: at most ${AGENT_AVATAR_MAX_BYTES / 1024} KiB.`,
  },
  avatar_type: {
    status: 415,
    when: 'The uploaded bytes are not a PNG, JPEG or WebP picture (whatever the Content-Type says).',
    message: 'Use a PNG, JPEG or WebP picture.',
  },
  avatar_not_found: { status: 404, message: 'This agent has no uploaded picture.' },
})
