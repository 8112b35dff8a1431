import type { AlertDto, AlertPage, AlertWebhookCreated, AlertWebhookDto } from '../../../../contracts/alerts.ts'
import { api } from '../../lib/api.ts'
import { openStream } from '../../lib/follow-stream.ts'

export type { AlertDto, AlertPage, AlertWebhookDto }

export const alertKeys = {
  all: (ws: string) => ['alerts', ws] as const,
  list: (ws: string, unacknowledged: boolean) => ['alerts', ws, 'list', unacknowledged] as const,
  unread: (ws: string) => ['alerts', ws, 'unread'] as const,
  webhook: (ws: string) => ['alerts', ws, 'webhook'] as const,
}

const base = (ws: string) => `/api/workspaces/${encodeURIComponent(ws)}/alerts`

export const listAlerts = (
  ws: string,
  params: { cursor?: string | undefined; unacknowledged?: boolean; limit?: number },
  signal?: AbortSignal,
) =>
  api<AlertPage>(base(ws), {
    signal,
    query: {
      cursor: params.cursor,
      limit: params.limit ?? 25,
      unacknowledged: params.unacknowledged ? 'true' : undefined,
    },
  })

export const acknowledgeAlert = (ws: string, id: string) =>
  api<AlertDto>(`${base(ws)}/${encodeURIComponent(id)}/ack`, { method: 'POST' })

/** The workspace's alerts, live (admins): `ready`, `alert` (an Alert), `resync`. */
export const alertEvents = (ws: string, signal: AbortSignal) =>
  openStream(`${base(ws)}/stream`, { signal, headers: { accept: 'text/event-stream' } })

export const getWebhook = (ws: string, signal?: AbortSignal) =>
  api<{ webhook: AlertWebhookDto | null }>(`${base(ws)}/webhook`, { signal })
export const setWebhook = (ws: string, url: string) =>
  api<AlertWebhookCreated>(`${base(ws)}/webhook`, { method: 'PUT', body: { url } })
export const removeWebhook = (ws: string) => api<void>(`${base(ws)}/webhook`, { method: 'DELETE' })
