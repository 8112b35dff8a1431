import type { ChannelCreate, ChannelDto, ChannelQr, ChannelStatus } from '../../../../contracts/channels.ts'
import { api } from '../../lib/api.ts'

export type Page<T> = { items: T[]; nextCursor: string | null }

/** A number's figures over the last 24 hours, its queue and its sending pace. */
export type ChannelStats = {
  channelId: string
  name: string
  kind: ChannelDto['kind']
  status: ChannelStatus
  phone: string | null
  lastSeenAt: string | null
  lastInboundAt: string | null
  lastOutboundAt: string | null
  queued: number
  sent24h: number
  delivered24h: number
  read24h: number
  failed24h: number
  dead: number
  rate: { perSecond: number; tokens: number; pausedUntil: string | null }
}

/** A Cloud number's message template (Meta approves them; only approved ones can be sent). */
export type MessageTemplate = {
  name: string
  language: string
  status: string
  category: string
  components: unknown[]
}

export const channelKeys = {
  all: ['channels'] as const,
  list: (clientId: string) => ['channels', 'list', clientId] as const,
  dashboard: (clientId: string) => ['channels', 'dashboard', clientId] as const,
  qr: (id: string) => ['channels', 'qr', id] as const,
  templates: (id: string) => ['channels', 'templates', id] as const,
}

const channelUrl = (id: string, rest = '') => `/api/channels/${encodeURIComponent(id)}${rest}`

export const listChannels = (clientId: string, signal?: AbortSignal) =>
  api<Page<ChannelDto>>('/api/channels', { clientId, query: { limit: 100 }, signal })

export const createChannel = (clientId: string, body: ChannelCreate) =>
  api<ChannelDto>('/api/channels', { method: 'POST', clientId, body })

export const getChannel = (id: string, signal?: AbortSignal) => api<ChannelDto>(channelUrl(id), { signal })

export const logoutChannel = (id: string) => api<ChannelDto>(channelUrl(id, '/logout'), { method: 'POST' })

export const getQr = (id: string, signal?: AbortSignal) => api<ChannelQr>(channelUrl(id, '/qr'), { signal })

/** Links the number by typing a code on the phone instead of scanning: `phone` in international digits. */
export const requestPairingCode = (id: string, phone: string) =>
  api<{ code: string }>(channelUrl(id, '/pairing-code'), { method: 'POST', body: { phone } })

export const regenerateQr = (id: string) => api<ChannelDto>(channelUrl(id, '/regenerate-qr'), { method: 'POST' })

/** Turns the number's AI auto-reply on or off (admins); `agentId` null: the built-in customer support agent. */
export const setAutoReply = (id: string, body: { enabled: boolean; agentId: string | null }) =>
  api<ChannelDto>(channelUrl(id, '/auto-reply'), { method: 'PUT', body })

/** Asks the phone for older messages (a connected QR number): 202, they arrive in the inbox over the next minutes. */
export const backfillChannel = (id: string) => api<{ requested: true }>(channelUrl(id, '/backfill'), { method: 'POST' })

export const channelDashboard = (clientId: string, signal?: AbortSignal) =>
  api<{ items: ChannelStats[] }>('/api/channels/dashboard', { clientId, signal })

export const listMessageTemplates = (id: string, signal?: AbortSignal) =>
  api<{ items: MessageTemplate[] }>(channelUrl(id, '/templates'), { signal })
