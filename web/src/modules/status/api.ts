import type { ComponentState, IncidentDto, IncidentStatus, StatusDto } from '../../../../contracts/status.ts'
import { api } from '../../lib/api.ts'

export type { ComponentState, IncidentDto, IncidentStatus, StatusDto }

export const statusKeys = { page: ['status'] as const }

/** The public status: live checks and incidents (no account needed). */
export const getStatus = (signal?: AbortSignal) => api<StatusDto>('/api/status', { signal, redirectOn401: false })
