import { createHash } from 'node:crypto'
import type { Handle } from '../../../platform/db/database.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import type { Egress } from '../../../platform/egress/egress.ts'
import { EgressError } from '../../../platform/egress/egress.ts'
import { defineNode, fatal, retryable, type NodeType } from '../registry.ts'
import * as specs from './specs.ts'

/** What the core executors need from outside the engine. */
export type CoreNodeDeps = {
  egress: Egress
  /** The client's credential, unsealed (never logged), or undefined when it does not exist or was removed. */
  credential(scope: { workspaceId: string; clientId: string }, id: string): Promise<Credential | undefined>
  /**
   * Starts a run of another published flow of the client (its trigger must be "called by another flow") in the
   * caller's transaction, one per parent step (a retried checkpoint finds the same run); answers its id.
   */
  prepareChild(scope: ClientScope, parentRunId: string, flowId: string): Promise<{ flowId: string; versionId: string }>
  startChild(
    trx: Handle,
    child: {
      runId: string
      scope: ClientScope
      parentRunId: string
      stepKey: string
      flowId: string
      versionId: string
      input: unknown
    },
  ): Promise<void>
  /** How a child run stands. */
  childOutcome(
    runId: string,
  ): Promise<{ status: string; output: unknown; error: { code: string; message: string } | null } | undefined>
  /** Starts (here or through the queue) a run created in a transaction that has committed. */
  kick(runId: string): void
  /** Queues an email in the caller's transaction (the mail outbox). */
  sendEmail(trx: Handle, message: { to: string; subject: string; text: string }): Promise<unknown>
}
export type Credential = { kind: 'bearer' | 'basic' | 'header' | 'query'; value: string; field: string | null }

const MAX_RESPONSE_BYTES = 2 * 1024 * 1024
const REDACTED = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key'])

const passThrough = <S extends specs.NodeSpec>(spec: S) =>
  ({ ...spec, execute: async ({ input }) => ({ output: input }) }) as NodeType

/** Reads a response body as JSON when it says so (else text), within the cap. */
const readBody = async (res: Response) => {
  const text = await res.text()
  if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) throw fatal('flows.http_too_large', 'The response is too large.')
  if ((res.headers.get('content-type') ?? '').includes('json') && text) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }
  return text
}

/** Seconds (or an HTTP date) of a Retry-After header, in ms. */
const retryAfterMs = (value: string | null) => {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.min(Math.max(seconds, 0), 3600) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - Date.now(), 0), 3_600_000)
}

export const coreNodes = (deps: CoreNodeDeps): NodeType[] => [
  defineNode({
    ...specs.manualSpec,
    execute: async ({ input, config }) => ({ output: input ?? config.testInput ?? {} }),
  }),
  passThrough(specs.webhookSpec),
  passThrough(specs.scheduleSpec),
  passThrough(specs.calledByFlowSpec),
  defineNode({
    ...specs.conditionSpec,
    execute: async ({ input, config }) => ({ output: input, port: config.if === true ? 'true' : 'false' }),
  }),
  defineNode({
    ...specs.switchSpec,
    execute: async ({ input, config }) => ({
      output: input,
      port: config.cases.find((c) => c.equals === config.value)?.port ?? 'default',
    }),
  }),
  defineNode({
    ...specs.loopSpec,
    // The engine walks loops itself (items, one frame per item, outputs collected on `done`).
    execute: async () => {
      throw fatal('flows.step_failed', 'A loop is walked by the engine.')
    },
  }),
  defineNode({
    ...specs.mergeSpec,
    execute: async ({ input, config }) => {
      const branches = input as { node: string; output: unknown }[]
      if (config.mode === 'object') return { output: Object.fromEntries(branches.map((b) => [b.node, b.output])) }
      const lists = branches.map((b) => (Array.isArray(b.output) ? b.output : [b.output]))
      if (config.mode === 'append') return { output: lists.flat() }
      const key = config.key
      if (!key) throw fatal('flows.config_invalid', 'Merging by key needs the key field.')
      const joined = new Map<string, Record<string, unknown>>()
      for (const item of lists.flat()) {
        if (typeof item !== 'object' || item === null) continue
        const k = JSON.stringify((item as Record<string, unknown>)[key] ?? null)
        joined.set(k, { ...joined.get(k), ...(item as Record<string, unknown>) })
      }
      return { output: [...joined.values()] }
    },
  }),
  defineNode({
    ...specs.setSpec,
    execute: async ({ input, config }) => {
      const base =
        config.keepInput && typeof input === 'object' && input !== null && !Array.isArray(input)
          ? (input as Record<string, unknown>)
          : {}
      const out: Record<string, unknown> = { ...base }
      // Dotted names set nested fields (`customer.email`), creating objects on the way.
      for (const [name, value] of Object.entries(config.fields)) {
        const path = name.split('.')
        let target = out
        for (const part of path.slice(0, -1)) {
          const next = target[part]
          target = target[part] =
            typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as object) } : {}
        }
        target[path.at(-1)!] = value
      }
      return { output: out }
    },
  }),
  defineNode({
    ...specs.delaySpec,
    execute: async ({ config, now }) => ({ wait: { until: new Date(now.getTime() + config.seconds * 1000) } }),
  }),
  defineNode({
    ...specs.waitUntilSpec,
    execute: async ({ config, now }) => {
      const until = new Date(config.until)
      if (until.getTime() - now.getTime() > 30 * 86_400_000)
        throw fatal('flows.wait_too_long', 'A flow waits at most 30 days.')
      return { wait: { until: until < now ? now : until } }
    },
  }),
  defineNode({
    ...specs.stopSpec,
    execute: async ({ config }) => {
      throw fatal(config.code, config.message)
    },
  }),
  defineNode({
    ...specs.httpSpec,
    execute: async ({ config, idempotencyKey, signal, scope, log }) => {
      const url = new URL(config.url)
      for (const [k, v] of Object.entries(config.query ?? {})) url.searchParams.set(k, v === null ? '' : String(v))
      const headers: Record<string, string> = { 'idempotency-key': idempotencyKey, ...(config.headers ?? {}) }
      if (config.credentialId) {
        const cred = await deps.credential(scope, config.credentialId)
        if (!cred) throw fatal('flows.credential_not_found', 'The credential of this step was removed.')
        if (cred.kind === 'bearer') headers.authorization = `Bearer ${cred.value}`
        else if (cred.kind === 'basic') headers.authorization = `Basic ${Buffer.from(cred.value).toString('base64')}`
        else if (cred.kind === 'header') headers[(cred.field ?? 'x-api-key').toLowerCase()] = cred.value
        else url.searchParams.set(cred.field ?? 'api_key', cred.value)
      }
      let body: string | undefined
      if (config.body !== undefined && config.method !== 'GET') {
        body = typeof config.body === 'string' ? config.body : JSON.stringify(config.body)
        if (typeof config.body !== 'string') headers['content-type'] ??= 'application/json'
      }
      log(`${config.method} ${url.origin}${url.pathname}`, {
        headers: Object.keys(headers).filter((h) => !REDACTED.has(h.toLowerCase())),
      })
      let res: Response
      try {
        res = await deps.egress.fetch(url, { method: config.method, headers, body, signal })
      } catch (err) {
        if (err instanceof EgressError) {
          // The URL is at fault (private address, bad scheme): trying again cannot help.
          if (['egress.invalid_url', 'egress.scheme_not_allowed', 'egress.address_not_allowed'].includes(err.code))
            throw fatal(err.code, err.message)
          throw retryable(err.code, err.message)
        }
        throw err
      }
      const data = await readBody(res)
      const output = { status: res.status, headers: Object.fromEntries(res.headers), body: data }
      if (res.status === 429 || res.status >= 500)
        throw retryable(
          'flows.http_status',
          `The server answered ${res.status}.`,
          retryAfterMs(res.headers.get('retry-after')),
        )
      if (res.status >= 400 && config.failOnClientError)
        throw fatal('flows.http_status', `The server answered ${res.status}.`)
      return { output }
    },
  }),
  defineNode({
    ...specs.subflowSpec,
    execute: async ({ config, input, scope, runId, nodeId, iteration }) => {
      // The child's id follows from the step: a checkpoint written twice names one child.
      const target = await deps.prepareChild(scope, runId, config.flowId)
      const childId = `run_${createHash('sha256').update(`${runId}:${nodeId}#${iteration}`).digest('base64url').slice(0, 22)}`
      return {
        wait: { state: { flowId: config.flowId, childRunId: childId } },
        commit: async (trx) => {
          await deps.startChild(trx, {
            runId: childId,
            scope,
            parentRunId: runId,
            stepKey: `${nodeId}#${iteration}`,
            ...target,
            input: config.input === undefined ? input : config.input,
          })
        },
        afterCommit: () => deps.kick(childId),
      }
    },
    async resume({ state }) {
      const childRunId = (state as { childRunId?: string } | null)?.childRunId
      if (!childRunId) return null
      const outcome = await deps.childOutcome(childRunId)
      if (!outcome || ['queued', 'running', 'waiting'].includes(outcome.status)) return null
      if (outcome.status === 'completed') return { output: outcome.output }
      throw fatal(
        'flows.subflow_failed',
        `The sub-flow ${outcome.status === 'cancelled' ? 'was cancelled' : `failed: ${outcome.error?.message ?? 'unknown error'}`}.`,
      )
    },
  }),
  defineNode({
    ...specs.sendEmailSpec,
    execute: async ({ config }) => ({
      output: { to: config.to, subject: config.subject },
      commit: (trx) => deps.sendEmail(trx, { to: config.to, subject: config.subject, text: config.text }),
    }),
  }),
  defineNode({
    ...specs.respondSpec,
    execute: async ({ config, input }) => {
      const answer = { status: config.status, body: config.body ?? input, headers: config.headers ?? {} }
      return { output: answer, event: { type: 'respond', data: answer } }
    },
  }),
]
