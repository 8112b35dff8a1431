import type {
  CampaignCreate,
  CampaignDto,
  CampaignPatch,
  CampaignPreviewDto,
  CampaignSegment,
  ConsentDto,
  RecipientDto,
  RecipientState,
} from '../../../../contracts/crm-campaigns.ts'
import { api } from '../../lib/api.ts'
import type { Page } from './api.ts'

export type Campaign = CampaignDto
export type CampaignRecipient = RecipientDto
export type { CampaignPreviewDto, CampaignSegment, ConsentDto, RecipientState }

export const campaignKeys = {
  all: (clientId: string) => ['crm', clientId, 'campaigns'] as const,
  one: (clientId: string, id: string) => ['crm', clientId, 'campaigns', 'one', id] as const,
  recipients: (clientId: string, id: string, state: RecipientState | undefined) =>
    ['crm', clientId, 'campaigns', 'one', id, 'recipients', state ?? 'all'] as const,
  preview: (clientId: string, id: string, segment: CampaignSegment) =>
    ['crm', clientId, 'campaigns', 'one', id, 'preview', segment] as const,
  consent: (clientId: string, contactId: string) => ['crm', clientId, 'contacts', 'one', contactId, 'consent'] as const,
}

const url = (id: string, rest = '') => `/api/crm/campaigns/${encodeURIComponent(id)}${rest}`

export const listCampaigns = (clientId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<Campaign>>('/api/crm/campaigns', { clientId, signal, query: { cursor, limit: 25 } })
export const getCampaign = (clientId: string, id: string, signal?: AbortSignal) =>
  api<Campaign>(url(id), { clientId, signal })
export const createCampaign = (clientId: string, body: CampaignCreate) =>
  api<Campaign>('/api/crm/campaigns', { method: 'POST', clientId, body })
export const patchCampaign = (clientId: string, id: string, body: CampaignPatch) =>
  api<Campaign>(url(id), { method: 'PATCH', clientId, body })
export const previewCampaign = (clientId: string, id: string, segment: CampaignSegment, signal?: AbortSignal) =>
  api<CampaignPreviewDto>(url(id, '/preview'), { method: 'POST', clientId, body: { segment }, signal })
export const startCampaign = (clientId: string, id: string) =>
  api<Campaign>(url(id, '/start'), { method: 'POST', clientId })
export const cancelCampaign = (clientId: string, id: string) =>
  api<Campaign>(url(id, '/cancel'), { method: 'POST', clientId })
export const listRecipients = (
  clientId: string,
  id: string,
  state: RecipientState | undefined,
  cursor: string | undefined,
  signal?: AbortSignal,
) => api<Page<CampaignRecipient>>(url(id, '/recipients'), { clientId, signal, query: { cursor, limit: 50, state } })
export const getConsent = (clientId: string, contactId: string, signal?: AbortSignal) =>
  api<ConsentDto>(`/api/crm/contacts/${encodeURIComponent(contactId)}/consent`, { clientId, signal })
