import type {
  ImportDto,
  ImportField,
  ImportMapping,
  ImportPreview,
  ImportRowDto,
  ImportRowStatus,
} from '../../../../contracts/crm.ts'
import { api, downloadFile } from '../../lib/api.ts'
import type { Page } from './api.ts'

export type LeadImport = ImportDto
export type ImportRow = ImportRowDto
export type Preview = ImportPreview
export type Mapping = ImportMapping
export type Field = ImportField
export type RowStatus = ImportRowStatus
/** What the wizard sends: a CSV file's text with its mapping, or a list of pages. */
export type ImportInput =
  | { kind: 'csv'; csv: string; mapping: Mapping; source: string; currency: string }
  | { kind: 'pages'; urls: string[]; source: string; currency: string }

export const importKeys = {
  list: (clientId: string) => ['crm', clientId, 'imports'] as const,
  one: (clientId: string, id: string) => ['crm', clientId, 'imports', id] as const,
  rows: (clientId: string, id: string, status: string) => ['crm', clientId, 'imports', id, 'rows', status] as const,
}

const bodyOf = (input: ImportInput, dryRun: boolean) =>
  input.kind === 'csv'
    ? { csv: input.csv, mapping: input.mapping, source: input.source, currency: input.currency, dryRun }
    : { urls: input.urls, source: input.source, currency: input.currency, dryRun }

export const previewImport = (clientId: string, csv: string, mapping?: Mapping) =>
  api<Preview>('/api/crm/imports/preview', { method: 'POST', clientId, body: { csv, mapping } })
export const dryRunImport = (clientId: string, input: ImportInput) =>
  api<LeadImport>('/api/crm/imports', { method: 'POST', clientId, body: bodyOf(input, true) })
/** Starts the import; the same key (one per wizard) answers the first import if the click is repeated. */
export const startImport = (clientId: string, input: ImportInput, key: string) =>
  api<LeadImport>('/api/crm/imports', {
    method: 'POST',
    clientId,
    body: bodyOf(input, false),
    headers: { 'idempotency-key': key },
  })
export const listImports = (clientId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<LeadImport>>('/api/crm/imports', { clientId, signal, query: { cursor, limit: 20 } })
export const getImport = (clientId: string, id: string, signal?: AbortSignal) =>
  api<LeadImport>(`/api/crm/imports/${encodeURIComponent(id)}`, { clientId, signal })
export const listImportRows = (
  clientId: string,
  id: string,
  status: RowStatus | '',
  cursor: string | undefined,
  signal?: AbortSignal,
) =>
  api<Page<ImportRow>>(`/api/crm/imports/${encodeURIComponent(id)}/rows`, {
    clientId,
    signal,
    query: { cursor, limit: 50, status },
  })

/** Downloads a CSV export (it needs the X-Client-ID header, so not a plain link) and saves it under the server's name. */
export const downloadExport = (clientId: string, path: string, query: Record<string, string | undefined>) =>
  downloadFile(path, { headers: { 'x-client-id': clientId, accept: 'text/csv' }, query, fallbackName: 'export.csv' })
