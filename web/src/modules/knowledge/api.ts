import type { KnowledgeDocumentDto, KnowledgeSearchResult, KnowledgeUpload } from '../../../../contracts/knowledge.ts'
import { api } from '../../lib/api.ts'

export type KnowledgeDocument = KnowledgeDocumentDto
export type Page<T> = { items: T[]; nextCursor: string | null }

export const knowledgeKeys = {
  all: (clientId: string) => ['knowledge', clientId] as const,
  list: (clientId: string) => ['knowledge', clientId, 'list'] as const,
  search: (clientId: string, q: string) => ['knowledge', clientId, 'search', q] as const,
}

export const listDocuments = (clientId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<Page<KnowledgeDocument>>('/api/knowledge', { clientId, query: { cursor, limit: 25 }, signal })

export const addDocument = (clientId: string, body: KnowledgeUpload) =>
  api<KnowledgeDocument>('/api/knowledge', { method: 'POST', clientId, body })

export const deleteDocument = (clientId: string, id: string) =>
  api<void>(`/api/knowledge/${encodeURIComponent(id)}`, { method: 'DELETE', clientId })

export const searchKnowledge = (clientId: string, q: string, signal?: AbortSignal) =>
  api<KnowledgeSearchResult>('/api/knowledge/search', { clientId, query: { q, limit: 10 }, signal })

/** A file's bytes as base64 (what the JSON upload takes), read by the browser. */
export const fileToBase64 = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'))
    reader.readAsDataURL(file)
  })
