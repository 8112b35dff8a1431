import { z } from 'zod'
import { Id, PageQuery, Timestamp, page } from './common.ts'

/**
 * A client's knowledge base (issue 15 §7, ADR 0008): documents (PDF, DOCX, Markdown, text, web pages) cut into
 * passages searchable with PostgreSQL full-text search, fused with vector search where pgvector and an embeddings
 * model exist (`mode: 'hybrid'`); agents read them through the `search_knowledge` tool.
 *
 * Routes (the client: `?clientId=` or X-Client-ID; a document's own client decides the rest):
 * - POST   /api/knowledge              add a document (admins): JSON `{ name, contentBase64 }` or `{ url }`, or the
 *                                      file's bytes as the body (`?name=`); text is extracted in the background
 * - GET    /api/knowledge              the client's documents, newest first, paged
 * - GET    /api/knowledge/search?q=    passages ranked by relevance, with their document and location
 * - GET    /api/knowledge/:id          one document (status pending → ready | failed with a reason)
 * - DELETE /api/knowledge/:id          remove a document and its passages (admins; audited)
 */

/** The largest file accepted, in bytes (after base64 decoding). */
export const KNOWLEDGE_MAX_BYTES = 10 * 1024 * 1024

export const KnowledgeKind = z.enum(['pdf', 'docx', 'markdown', 'text', 'web'])
export type KnowledgeKind = z.infer<typeof KnowledgeKind>
export const KnowledgeStatus = z.enum(['pending', 'ready', 'failed'])
export type KnowledgeStatus = z.infer<typeof KnowledgeStatus>

const DocumentName = z.string().trim().min(1).max(200)
/** Where the client is named on a knowledge route (X-Client-ID works as well; both must agree). */
export const KnowledgeClientQuery = z.strictObject({ clientId: Id.optional() })

export const KnowledgeFileUpload = z.strictObject({
  name: DocumentName.meta({ description: 'The file name as the user knows it (price-list.pdf).' }),
  contentBase64: z
    .string()
    .min(1)
    .max(Math.ceil(KNOWLEDGE_MAX_BYTES / 3) * 4 + 4)
    .meta({ description: `The file's bytes in base64; at most ${KNOWLEDGE_MAX_BYTES} bytes once decoded.` }),
})
export const KnowledgePageUpload = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .meta({ description: 'A public web page (fetched from our server).' }),
  name: DocumentName.optional().meta({ description: "The page's title when left out." }),
})
export const KnowledgeUpload = z.union([KnowledgeFileUpload, KnowledgePageUpload])
export type KnowledgeUpload = z.infer<typeof KnowledgeUpload>
/** A raw upload's query: the file's name beside the client. */
export const KnowledgeUploadQuery = KnowledgeClientQuery.extend({ name: DocumentName.optional() })
export type KnowledgeUploadQuery = z.infer<typeof KnowledgeUploadQuery>

export const KnowledgeDocumentDto = z
  .object({
    id: z.string(),
    clientId: z.string(),
    name: z.string(),
    kind: KnowledgeKind,
    url: z.string().nullable(),
    bytes: z.number().int().nullable(),
    status: KnowledgeStatus,
    error: z.string().nullable().meta({ description: 'Why the text could not be read (status failed).' }),
    pages: z.number().int().nullable(),
    characters: z.number().int().nullable(),
    passages: z.number().int(),
    createdBy: z.string(),
    createdAt: Timestamp,
    readyAt: Timestamp.nullable(),
  })
  .meta({ id: 'KnowledgeDocument' })
export type KnowledgeDocumentDto = z.infer<typeof KnowledgeDocumentDto>
export const KnowledgeDocumentPage = page(KnowledgeDocumentDto)

export const KnowledgeListQuery = PageQuery.extend({ clientId: Id.optional() })
export type KnowledgeListQuery = z.infer<typeof KnowledgeListQuery>

export const KnowledgeSearchQuery = z.strictObject({
  clientId: Id.optional(),
  q: z.string().trim().min(2).max(200).meta({ description: 'Words, "a phrase", -excluded (web search syntax).' }),
  limit: z.coerce.number().int().min(1).max(20).default(8),
})
export type KnowledgeSearchQuery = z.infer<typeof KnowledgeSearchQuery>

export const KnowledgePassage = z
  .object({
    documentId: z.string(),
    documentName: z.string(),
    kind: KnowledgeKind,
    url: z.string().nullable(),
    passage: z.number().int().meta({ description: 'The passage number in its document, from 1.' }),
    page: z.number().int().nullable().meta({ description: 'The PDF page the passage starts on.' }),
    start: z.number().int().meta({ description: "The passage's first character in the document's text." }),
    end: z.number().int(),
    text: z.string(),
    rank: z.number(),
  })
  .meta({ id: 'KnowledgePassage' })
export type KnowledgePassage = z.infer<typeof KnowledgePassage>
export const KnowledgeSearchResult = z.object({
  items: z.array(KnowledgePassage),
  mode: z.enum(['full_text', 'hybrid']).meta({
    description:
      'How passages were found: `hybrid` fuses full-text and vector search (pgvector and a provider offering ' +
      'embeddings); `full_text` alone otherwise. In hybrid mode `rank` is the fused score.',
  }),
})
export type KnowledgeSearchResult = z.infer<typeof KnowledgeSearchResult>
