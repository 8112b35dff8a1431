import jsonata from 'jsonata'
import { z } from 'zod'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { defineNode, exprOr, fatal, type NodeType } from '../registry.ts'
import { common, type NodeSpec } from './specs.ts'

/**
 * WhatsApp in flows (issue 13 §8): a trigger that starts a run when a contact writes to one of the client's numbers,
 * and an action that replies through the inbox's outbox. The inbox tells flows what it stored (`engine/whatsapp.ts`
 * matches and starts); the send goes through the inbox's public `flowSend`, never its tables.
 */

export const WHATSAPP_TRIGGER = 'whatsapp.message-received'
export const WHATSAPP_SEND = 'whatsapp.send'
export const MAX_MATCH_CHARS = 200

/** `/` written `\/` so JSONata's regex literal ends where the pattern ends (escaped characters are left alone). */
const escapeSlashes = (pattern: string) => {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\') out += c + (pattern[i + 1] ?? '')
    else out += c === '/' ? '\\/' : c
    if (c === '\\') i++
  }
  return out
}

/**
 * The expression that tests a message's text (`$text`) against a pattern. It runs in the expression sandbox, never on
 * the server's thread: a catastrophic pattern (`(a+)+$`) is stopped at the sandbox's deadline and counts as no match.
 */
export const regexTest = (pattern: string, caseSensitive: boolean) =>
  `$type($text) = "string" and $contains($text, /${escapeSlashes(pattern)}/${caseSensitive ? '' : 'i'})`

export const Match = z
  .strictObject({
    kind: z
      .enum(['contains', 'equals', 'regex'])
      .meta({ description: 'How the text is compared: contains it, equals it (trimmed), or a regular expression.' }),
    value: z
      .string()
      .min(1)
      .max(MAX_MATCH_CHARS)
      .meta({ description: `At most ${MAX_MATCH_CHARS} characters.` }),
    caseSensitive: z.boolean().default(false),
  })
  .superRefine((m, ctx) => {
    if (m.kind !== 'regex') return
    try {
      // Compiling is linear in the pattern's length; only matching can run away (the sandbox bounds that).
      new RegExp(m.value)
      jsonata(regexTest(m.value, m.caseSensitive))
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `Not a regular expression we can use: ${err instanceof Error ? err.message : String(err)}`,
      })
    }
  })
export type Match = z.infer<typeof Match>

/** A number's id (`ch_…`), as GET /api/channels lists them. */
const ChannelId = z.string().regex(/^ch_[A-Za-z0-9_-]{1,60}$/, 'Pick one of the client’s WhatsApp numbers.')

export const whatsappTriggerSpec = {
  type: WHATSAPP_TRIGGER,
  kind: 'trigger',
  label: 'WhatsApp message received',
  description:
    'Starts the flow when a contact writes to one of the client’s WhatsApp numbers (once per message), optionally ' +
    'only on one number, only for some text, or only for a first message. Input: message, contact, thread, channel.',
  icon: 'whatsapp',
  config: z.strictObject({
    channelId: ChannelId.optional().meta({
      title: 'Number',
      description: 'Only messages to this number (else any of the client’s numbers).',
    }),
    match: Match.optional().meta({
      title: 'Text filter',
      description: 'Only messages whose text matches (case-insensitive unless asked).',
    }),
    newContact: z.boolean().default(false).meta({
      title: 'Only a new contact’s first message',
      description: 'Only the first message a contact ever writes to the client.',
    }),
  }),
  inputs: [],
  outputs: ['out'],
  effect: 'none',
} satisfies NodeSpec
export type WhatsAppTriggerConfig = z.infer<typeof whatsappTriggerSpec.config>

export const MAX_TEXT_CHARS = 4096

export const whatsappSendSpec = {
  type: WHATSAPP_SEND,
  kind: 'action',
  label: 'Send WhatsApp message',
  description:
    'Replies in a WhatsApp conversation through the inbox’s outbox (paced, counted against the plan, once per ' +
    'step). The conversation defaults to the one that started the run; free-form text only within 24 hours of the ' +
    'contact’s last message.',
  icon: 'whatsapp',
  config: z.strictObject({
    threadId: exprOr(z.string().min(1).max(64))
      .optional()
      .meta({
        title: 'Conversation',
        description: 'The conversation to reply in; without it, the one that started the run ($trigger.thread.id).',
        // What the canvas fills in when the node is added (the server falls back to it too).
        default: { $expr: '$trigger.thread.id' },
      }),
    text: exprOr(z.string().trim().min(1, 'The message is empty.').max(MAX_TEXT_CHARS)).meta({
      description: `1–${MAX_TEXT_CHARS} characters once its expression is evaluated.`,
    }),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
  timeoutMs: 30_000,
} satisfies NodeSpec

export const WHATSAPP_SPECS = [whatsappTriggerSpec, whatsappSendSpec] as NodeSpec[]

export type WhatsAppNodeDeps = {
  /** The run's publisher may still act for the client (the trigger fails the run with `flows.publisher_gone` if not). */
  stillAdmin(scope: ClientScope): Promise<boolean>
  /** The inbox's send for a flow step (idempotent per key): see `inbox/flow-send.ts`. */
  send(
    run: { workspaceId: string; clientId: string; actingUserId: string },
    threadId: string,
    text: string,
    idempotencyKey: string,
  ): Promise<{ messageId: string; threadId: string; status: string; queued: boolean }>
}

export const whatsappNodes = (deps: WhatsAppNodeDeps): NodeType[] => [
  defineNode({
    ...whatsappTriggerSpec,
    execute: async ({ input, scope }) => {
      // Runs act as the version's publisher; one who lost the client's admin role starts nothing more.
      if (!(await deps.stillAdmin({ ...scope, role: 'admin' })))
        throw fatal(
          'flows.publisher_gone',
          'The person who published this flow is no longer an admin of its client. An admin must publish it again.',
        )
      return { output: input }
    },
  }),
  defineNode({
    ...whatsappSendSpec,
    execute: async ({ config, scope, idempotencyKey, evaluate, log }) => {
      const threadId = config.threadId ?? (await evaluate('$trigger.thread.id'))
      if (typeof threadId !== 'string' || !threadId)
        throw fatal(
          'flows.whatsapp_no_thread',
          'No conversation to reply in: the run was not started by a WhatsApp message; set the conversation.',
        )
      const sent = await deps.send(scope, threadId, config.text, idempotencyKey)
      log(sent.queued ? `queued ${sent.messageId}` : `already queued: ${sent.messageId}`)
      return { output: { messageId: sent.messageId, threadId: sent.threadId, status: sent.status } }
    },
  }),
]
