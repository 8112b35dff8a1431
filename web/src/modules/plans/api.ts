import type { LimitKey, PlanDto, WorkspacePlanDto } from '../../../../contracts/plans.ts'
import type { BillingAccountDto, CheckoutDto, InvoiceDto, InvoicesDto } from '../../../../contracts/subscriptions.ts'
import { api } from '../../lib/api.ts'

export type { BillingAccountDto, CheckoutDto, InvoiceDto, InvoicesDto }

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

export const billingKeys = {
  account: (ws: string) => ['billing', ws, 'account'] as const,
  invoices: (ws: string) => ['billing', ws, 'invoices'] as const,
  checkout: (ws: string, id: string) => ['billing', ws, 'checkout', id] as const,
}

/** Stripe on this server, top-ups, the workspace's customer and subscription as Stripe last reported them. */
export const getBillingAccount = (ws: string, signal?: AbortSignal) =>
  api<BillingAccountDto>('/api/billing', { workspaceId: ws, signal })

/** The workspace's invoices from Stripe, newest first (admins). */
export const getInvoices = (ws: string, cursor: string | null, signal?: AbortSignal) =>
  api<InvoicesDto>(`/api/billing/invoices?limit=12${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
    workspaceId: ws,
    signal,
  })

/** Where a Checkout this workspace opened stands (the page Stripe returns to polls it until it is applied). */
export const getCheckout = (ws: string, id: string, signal?: AbortSignal) =>
  api<CheckoutDto>(`/api/billing/checkouts/${encodeURIComponent(id)}`, { workspaceId: ws, signal })

/** A Stripe Checkout to buy `credits` once; the answer is the page to send the browser to. */
export const startTopup = (ws: string, credits: number) =>
  api<{ url: string }>('/api/billing/topup', { method: 'POST', workspaceId: ws, body: { credits } })

/** The Stripe customer portal (payment method, plan changes, cancellation, invoices). */
export const openPortal = (ws: string) =>
  api<{ url: string }>('/api/billing/portal', { method: 'POST', workspaceId: ws, body: {} })

/** Where a redirect from our own server may go: http(s) or a path on this site (never `javascript:` and the like). */
export const isSafeRedirect = (url: string) => {
  if (url.startsWith('/') && !url.startsWith('//')) return true
  try {
    return ['https:', 'http:'].includes(new URL(url).protocol)
  } catch {
    return false
  }
}
