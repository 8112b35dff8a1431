import { defineErrors } from '../../platform/http/errors.ts'

export const agentsErrors = defineErrors('agents', {
  not_found: { status: 404, message: 'No such agent.' },
  builtin_readonly: { status: 409, message: 'Built-in agents cannot be edited; create your own agent instead.' },
  model_unavailable: {
    status: 409,
    when: "The agent's model is not in this server's catalog.",
    message: (p: { modelId: string }) => `The model ${p.modelId} is not available on this server.`,
  },
})
