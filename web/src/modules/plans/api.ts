import type { LimitKey, PlanDto, WorkspacePlanDto } from '../../../../contracts/plans.ts'
import { api } from '../../lib/api.ts'

export type { LimitKey, PlanDto, WorkspacePlanDto }
export type PlansDto = { plans: PlanDto[]; billingEnabled: boolean }
export type LimitUsage = WorkspacePlanDto['usage'][number]

export const planKeys = {
  catalog: ['plans', 'catalog'] as const,
  workspace: (ws: string) => ['plans', 'workspace', ws] as const,
}

/** The public catalog: every plan, and whether this server takes payments (Stripe configured). */
export const getPlans = (signal?: AbortSignal) => api<PlansDto>('/api/plans', { signal, redirectOn401: false })

/** The workspace's plan and its usage against each limit (members). */
export const getWorkspacePlan = (ws: string, signal?: AbortSignal) =>
  api<WorkspacePlanDto>(`/api/workspaces/${encodeURIComponent(ws)}/plan`, { workspaceId: ws, signal })

/** Starts a Stripe Checkout for `plan`; the answer is the page to send the browser to. */
export const startCheckout = (ws: string, plan: string) =>
  api<{ url: string }>('/api/billing/checkout', { method: 'POST', workspaceId: ws, body: { plan } })
