import type { ChatEvent, MessageDto, MessagePart } from '../../../../contracts/chat.ts'

/** The credit fields the `run` and `usage` events carry (optional: older runs and the offline model may lack them). */
type Billing = { estimate?: number; billedBy?: 'camarad' | 'workspace'; charged?: number; available?: number }

/** The answer being written, as its events describe it; `userText` is the question until it is saved. */
export type LiveAnswer = {
  userText: string | null
  userMessageId: string | null
  messageId: string | null
  agentId: string | null
  modelId: string | null
  offline: boolean
  text: string
  /** Tool calls, their results and hand-offs, in the order they happened. */
  parts: MessagePart[]
  status: MessageDto['status']
  error: { code: string; message: string } | null
  /** Micro-credits held when the answer started, and who pays for it. */
  estimate: number | null
  billedBy: 'camarad' | 'workspace' | null
  /** Micro-credits charged once it ended, and what the workspace has left after it. */
  charged: number | null
  available: number | null
}

export const EMPTY: LiveAnswer = {
  userText: null,
  userMessageId: null,
  messageId: null,
  agentId: null,
  modelId: null,
  offline: false,
  text: '',
  parts: [],
  status: 'streaming',
  error: null,
  estimate: null,
  billedBy: null,
  charged: null,
  available: null,
}

/** The answer after one more event. */
export const apply = (prev: LiveAnswer | null, e: ChatEvent): LiveAnswer => {
  const live = prev ?? EMPTY
  const billing = e as ChatEvent & Billing
  switch (e.type) {
    case 'run':
      return {
        ...live,
        userMessageId: e.userMessageId,
        messageId: e.messageId,
        agentId: e.agentId,
        modelId: e.modelId,
        offline: e.offline,
        text: '',
        parts: [],
        estimate: billing.estimate ?? null,
        billedBy: billing.billedBy ?? null,
        charged: null,
        available: null,
      }
    case 'usage':
      return {
        ...live,
        charged: billing.charged ?? (e.usage as Billing).charged ?? null,
        available: billing.available ?? null,
      }
    case 'delta':
      return { ...live, text: live.text + e.text }
    case 'tool-call':
      return {
        ...live,
        parts: [...live.parts, { type: 'tool-call', toolCallId: e.toolCallId, toolName: e.toolName, input: e.input }],
      }
    case 'tool-result':
      return {
        ...live,
        parts: [
          ...live.parts,
          { type: 'tool-result', toolCallId: e.toolCallId, toolName: e.toolName, output: e.output, error: e.error },
        ],
      }
    case 'handoff':
      return {
        ...live,
        parts: [...live.parts, { type: 'handoff', from: e.from, to: e.to, toName: e.toName, reason: e.reason }],
      }
    case 'error':
      return { ...live, error: { code: e.code, message: e.message } }
    case 'done':
      return { ...live, status: e.status }
    default:
      return live
  }
}
