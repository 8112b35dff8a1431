import { BILLING_PATH, flowPath } from '../../../contracts/app-paths.ts'
import type { AlertDraft } from './alerts.service.ts'

/** What a plan limit counts, as a person says it. */
const LIMIT_LABELS: Record<string, string> = {
  clients: 'clients',
  members: 'team members',
  customAgents: 'custom agents',
  flows: 'flows',
  channelNumbers: 'WhatsApp numbers',
  connectors: 'connections',
  messagesPerMonth: 'WhatsApp messages a month',
}

/** What each emitter's event says to a person: one place for the alerts' words and links. */
export const alertDrafts = {
  planLimit: (
    workspaceId: string,
    d: { limit: string; max: number; used: number; plan: string; planName: string },
  ): AlertDraft => ({
    workspaceId,
    kind: 'plan_limit',
    severity: 'warning',
    subject: d.limit,
    title: 'Plan limit reached',
    message:
      `The ${d.planName} plan allows ${d.max} ${LIMIT_LABELS[d.limit] ?? d.limit} and ${d.used} are in use: ` +
      'a new one was refused. Upgrade to add more.',
    link: BILLING_PATH,
    data: d,
  }),

  rateLimited: (workspaceId: string, d: { userId: string; max: number }): AlertDraft => ({
    workspaceId,
    kind: 'rate_limited',
    severity: 'warning',
    subject: d.userId,
    title: 'Rate limit hit',
    message: `A member's requests passed ${d.max} a minute and were refused for a while (an API token or a script?).`,
    link: '/app/settings/tokens',
    data: d,
  }),

  numberDisconnected: (d: {
    workspaceId: string
    clientId: string
    channelId: string
    status: string
    reason: string | null
  }): AlertDraft => ({
    workspaceId: d.workspaceId,
    kind: 'number_disconnected',
    severity: 'critical',
    subject: d.channelId,
    title: 'WhatsApp number disconnected',
    message: `A WhatsApp number stopped (${d.status}${d.reason ? `: ${d.reason}` : ''}). It sends and receives nothing until it is linked again.`,
    link: '/app/numbers',
    data: d,
  }),

  flowFailing: (d: {
    workspaceId: string
    clientId: string
    flowId: string
    runId: string
    failures: number
  }): AlertDraft => ({
    workspaceId: d.workspaceId,
    kind: 'flow_failing',
    severity: 'critical',
    subject: d.flowId,
    title: 'A flow keeps failing',
    message: `The last ${d.failures} runs of a flow failed. Open it to see the failing step.`,
    link: flowPath(d.flowId),
    data: d,
  }),

  margin: (a: { id: string; kind: string; day: string; modelId: string | null; message: string }): AlertDraft => ({
    workspaceId: null,
    kind: 'margin',
    severity: 'warning',
    subject: a.id,
    title: a.kind === 'cost_missing' ? 'Provider cost missing' : 'Margin below target',
    message: a.message,
    link: null,
    data: { billingAlertId: a.id, kind: a.kind, day: a.day, modelId: a.modelId },
  }),
}
