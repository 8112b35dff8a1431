import { z } from 'zod'
import { NodeId } from '../../../../contracts/flows.ts'
import { exprOr, type NodeType } from '../registry.ts'
import { previewSchedule } from '../../../platform/queue/queue.ts'

/**
 * The core node types' static side: config schema, ports, effect. Executors are attached in `core.ts` (they need the
 * engine's services); templates, validation and the canvas read only these.
 */
export type NodeSpec<C extends z.ZodType = z.ZodType> = Omit<NodeType<C>, 'execute'>
const spec = <C extends z.ZodType>(s: NodeSpec<C>) => s

const DAY_MS = 86_400_000
const Json = z.unknown()
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])
/** Header and query names: visible ASCII without separators. */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'Not a valid header name.')
const Retry = z
  .strictObject({
    max: z.number().int().min(0).max(10),
    baseMs: z.number().int().min(100).max(600_000).default(1000),
    maxMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .optional()
/** Every node may override its retry policy and its step timeout. */
export const common = { retry: Retry, timeoutMs: z.number().int().min(100).max(300_000).optional() }

export const manualSpec = spec({
  type: 'core.manual',
  kind: 'trigger',
  label: 'Manual trigger',
  description: 'Starts the flow by hand, with test input.',
  icon: 'play',
  config: z.strictObject({ testInput: Json.optional() }),
  inputs: [],
  outputs: ['out'],
  effect: 'none',
})

export const webhookSpec = spec({
  type: 'core.webhook',
  kind: 'trigger',
  label: 'Webhook',
  description: 'Starts the flow when its secret URL is called (POST). Optionally checks an HMAC signature.',
  icon: 'webhook',
  config: z.strictObject({
    /**
     * `immediately`: 202 with the run id; `respond-node`: the answer of a "Respond to webhook" step (else 202 at the
     * timeout); `on-completion`: the last step's output.
     */
    respond: z.enum(['immediately', 'respond-node', 'on-completion']).default('immediately'),
    timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
    /** The header carrying `hex(HMAC-SHA256(secret, raw body))`; set to require a signature. */
    hmacHeader: HeaderName.optional(),
  }),
  inputs: [],
  outputs: ['out'],
  effect: 'none',
})

export const scheduleSpec = spec({
  type: 'core.schedule',
  kind: 'trigger',
  label: 'Schedule',
  description: 'Starts the flow on a cron schedule in a time zone.',
  icon: 'clock',
  config: z
    .strictObject({
      cron: z.string().trim().min(9).max(100),
      timezone: z.string().min(1).max(64).default('UTC'),
    })
    .superRefine((c, ctx) => {
      // Checked with the scheduler's own parser: what validates is what fires.
      try {
        previewSchedule(c.cron, { tz: c.timezone, count: 1 })
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        ctx.addIssue({ code: 'custom', path: [/time zone/i.test(message) ? 'timezone' : 'cron'], message })
      }
    }),
  inputs: [],
  outputs: ['out'],
  effect: 'none',
})

export const calledByFlowSpec = spec({
  type: 'core.called-by-flow',
  kind: 'trigger',
  label: 'Called by another flow',
  description: 'Starts the flow from a "Sub-flow" step of another flow, with its input.',
  icon: 'subflow',
  config: z.strictObject({}),
  inputs: [],
  outputs: ['out'],
  effect: 'none',
})

export const conditionSpec = spec({
  type: 'core.condition',
  kind: 'logic',
  label: 'Condition',
  description: 'Routes the input to `true` or `false`.',
  icon: 'branch',
  config: z.strictObject({ if: exprOr(z.boolean()), ...common }),
  inputs: ['in'],
  outputs: ['true', 'false'],
  effect: 'none',
})

export const switchSpec = spec({
  type: 'core.switch',
  kind: 'logic',
  label: 'Switch',
  description: 'Routes the input to the first case whose value matches, else to `default`.',
  icon: 'switch',
  config: z.strictObject({
    value: exprOr(Scalar),
    cases: z
      .array(z.strictObject({ port: NodeId, equals: Scalar }))
      .min(1)
      .max(20)
      .refine((cs) => new Set(cs.map((c) => c.port)).size === cs.length, 'Each case needs its own port name.')
      .refine((cs) => cs.every((c) => c.port !== 'default'), '`default` is the port of no match.'),
    ...common,
  }),
  inputs: ['in'],
  outputs: (c: { cases: { port: string }[] }) => [...c.cases.map((x) => x.port), 'default'],
  effect: 'none',
})

export const loopSpec = spec({
  type: 'core.loop',
  kind: 'logic',
  label: 'Loop over items',
  description: 'Runs the `each` branch once per item (in order); `done` gets the collected outputs.',
  icon: 'loop',
  config: z.strictObject({
    items: exprOr(z.array(Json)),
    maxItems: z.number().int().min(1).max(10_000).default(1000),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['each', 'done'],
  effect: 'none',
})

export const mergeSpec = spec({
  type: 'core.merge',
  kind: 'logic',
  label: 'Merge',
  description:
    'Waits for every branch that reaches it. `object`: outputs keyed by node name; `append`: one list; `by-key`: lists of objects joined on a field.',
  icon: 'merge',
  config: z.strictObject({
    mode: z.enum(['object', 'append', 'by-key']).default('object'),
    key: z.string().min(1).max(100).optional(),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'none',
})

export const setSpec = spec({
  type: 'core.set',
  kind: 'logic',
  label: 'Set fields',
  description: 'Sets fields from literals or expressions (JSONata), keeping the input or replacing it.',
  icon: 'edit',
  config: z.strictObject({
    fields: z.record(z.string().min(1).max(100), exprOr(Json)),
    keepInput: z.boolean().default(true),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'none',
})

export const delaySpec = spec({
  type: 'core.delay',
  kind: 'logic',
  label: 'Delay',
  description: 'Waits a number of seconds (up to 30 days) without holding a worker.',
  icon: 'hourglass',
  config: z.strictObject({
    seconds: exprOr(
      z
        .number()
        .min(0)
        .max((30 * DAY_MS) / 1000),
    ),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'none',
})

export const waitUntilSpec = spec({
  type: 'core.wait-until',
  kind: 'logic',
  label: 'Wait until',
  description: 'Waits until a date and time (ISO 8601, at most 30 days ahead).',
  icon: 'calendar',
  config: z.strictObject({ until: exprOr(z.iso.datetime({ offset: true })), ...common }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'none',
})

export const stopSpec = spec({
  type: 'core.stop-with-error',
  kind: 'logic',
  label: 'Stop with error',
  description: 'Fails the run with a code and a message.',
  icon: 'stop',
  config: z.strictObject({
    code: z
      .string()
      .regex(/^[a-z][a-z0-9_.]{0,60}$/)
      .default('flow.stopped'),
    message: exprOr(z.string().min(1).max(1000)),
  }),
  inputs: ['in'],
  outputs: [],
  effect: 'none',
})

export const subflowSpec = spec({
  type: 'core.subflow',
  kind: 'logic',
  label: 'Sub-flow',
  description:
    "Runs another published flow of this client (it starts with 'Called by another flow') and waits for its output.",
  icon: 'subflow',
  config: z.strictObject({ flowId: z.string().min(1).max(64), input: exprOr(Json).optional(), ...common }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'transactional',
})

export const aiSpec = spec({
  type: 'core.ai',
  kind: 'action',
  label: 'AI step',
  description:
    'Asks an agent or a prompt; optional structured output (JSON Schema), memory per contact/thread/lead, and tools. Metered in credits.',
  icon: 'sparkles',
  config: z.strictObject({
    agentId: z.string().min(1).max(64).optional(),
    prompt: exprOr(z.string().min(1).max(20_000)),
    instructions: z.string().max(20_000).optional(),
    modelId: z.string().min(1).max(120).optional(),
    /** A JSON Schema (object) the answer must follow; the output is then the parsed object. */
    outputSchema: z.record(z.string(), Json).optional(),
    memory: z
      .strictObject({
        key: exprOr(z.string().min(1).max(200)),
        namespace: z.enum(['flow', 'client']).default('flow'),
        maxTurns: z.number().int().min(1).max(20).default(10),
      })
      .optional(),
    /** Node types (with a side effect, e.g. `core.http`) the model may call as tools, with their fixed config. */
    tools: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/),
          description: z.string().min(1).max(500),
          type: z.string().min(1).max(80),
          config: z.record(z.string(), Json),
        }),
      )
      .max(8)
      .optional(),
    maxOutputTokens: z.number().int().min(16).max(8000).optional(),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out', 'error'],
  effect: 'external',
  // A tool's config reads the model's arguments: resolved at each call, not before the step.
  lazy: ['tools'],
  timeoutMs: 120_000,
})

export const httpSpec = spec({
  type: 'core.http',
  kind: 'action',
  label: 'HTTP request',
  description:
    'Calls a URL through the egress guard, with a credential from the client vault. Sends an Idempotency-Key; a receiver that honours it sees each step once.',
  icon: 'globe',
  config: z.strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: exprOr(z.url({ protocol: /^https?$/ }).max(2000)),
    headers: z.record(HeaderName, exprOr(z.string().max(8000))).optional(),
    query: z.record(z.string().min(1).max(100), exprOr(Scalar)).optional(),
    body: exprOr(Json).optional(),
    credentialId: z.string().min(1).max(64).optional(),
    /** 4xx answers fail the step (never retried); off: they are output with their status. */
    failOnClientError: z.boolean().default(true),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out', 'error'],
  effect: 'external',
  retry: { max: 3, baseMs: 1000, maxMs: 30_000 },
  timeoutMs: 30_000,
})

export const sendEmailSpec = spec({
  type: 'core.send-email',
  kind: 'action',
  label: 'Send email',
  description: 'Sends an email through the server’s mail outbox (exactly once per step).',
  icon: 'mail',
  config: z.strictObject({
    to: exprOr(z.email().max(254)),
    subject: exprOr(z.string().min(1).max(300)),
    text: exprOr(z.string().min(1).max(100_000)),
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'transactional',
})

export const respondSpec = spec({
  type: 'core.respond-to-webhook',
  kind: 'action',
  label: 'Respond to webhook',
  description: "Answers the webhook call that started the run (its trigger's mode must be `respond-node`).",
  icon: 'reply',
  config: z.strictObject({
    status: z.number().int().min(200).max(599).default(200),
    body: exprOr(Json).optional(),
    headers: z.record(HeaderName, z.string().max(1000)).optional(),
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'transactional',
})

export const CORE_SPECS = [
  manualSpec,
  webhookSpec,
  scheduleSpec,
  calledByFlowSpec,
  conditionSpec,
  switchSpec,
  loopSpec,
  mergeSpec,
  setSpec,
  delaySpec,
  waitUntilSpec,
  stopSpec,
  subflowSpec,
  aiSpec,
  httpSpec,
  sendEmailSpec,
  respondSpec,
] as NodeSpec[]
