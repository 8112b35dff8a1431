import { createHash, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import {
  KNOWLEDGE_MAX_BYTES,
  type KnowledgeDocumentDto,
  type KnowledgeListQuery,
  type KnowledgeSearchResult,
} from '../../../contracts/knowledge.ts'
import { newId } from '../../platform/db/ids.ts'
import { EgressError, type Egress } from '../../platform/egress/egress.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import { defineJob, type Queue } from '../../platform/queue/queue.ts'
import { AppError } from '../../platform/http/errors.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Metering } from '../credits/credits.module.ts'
import { normalizeUsage, recordedCall, type CatalogEntry, type ModelSet } from '../models/models.module.ts'
import { chunkSections } from './chunk.ts'
import { ExtractionError, type Extractor } from './extract.ts'
import { knowledgeErrors } from './knowledge.errors.ts'
import { chunks, documents } from './knowledge.repository.ts'
import type { KnowledgeDocumentRow, KnowledgeTables } from './knowledge.tables.ts'
import { own } from '../../platform/db/database.ts'
import { sniffKind } from './sniff.ts'
import { embeddings, fuse, type VectorSupport } from './vectors.ts'

const hashOf = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex')

/** Retries of a failed ingest (a database error): its last attempt marks the document failed instead of leaving it pending. */
const INGEST_RETRIES = 3

/** Passages embedded per provider call (and per metered call): each batch is its own idempotent request. */
const EMBED_BATCH = 128
/** Candidates each of full-text and vector search hands to the fusion, at least. */
const FUSION_CANDIDATES = 20

/** Vector search's parts (ADR 0008 §6); without them (or without pgvector) search is full-text only. */
export type KnowledgeVectors = {
  support: VectorSupport
  models: { forWorkspace(workspaceId: string): Promise<ModelSet> }
  metering: Metering
  /** The least cosine similarity for a passage found by its vector alone (`KNOWLEDGE_MIN_SIMILARITY`). */
  minSimilarity: number
}

/** What an upload route hands over: a file's bytes and name, or a web page's address. */
export type KnowledgeInput = { file: { name: string; bytes: Buffer } } | { page: { url: string; name?: string } }

const toDto = (
  d: Omit<KnowledgeDocumentRow, 'source' | 'idempotencyKey' | 'requestHash' | 'attempts'>,
): KnowledgeDocumentDto => ({
  id: d.id,
  clientId: d.clientId,
  name: d.name,
  kind: d.kind,
  url: d.url,
  bytes: d.bytes,
  status: d.status,
  error: d.error,
  pages: d.pages,
  characters: d.characters,
  passages: d.passages,
  createdBy: d.createdBy,
  createdAt: d.createdAt.toISOString(),
  readyAt: d.readyAt?.toISOString() ?? null,
})

/**
 * The knowledge base (ADR 0008). An upload is checked (size, type from the bytes) and committed as a `pending`
 * document with its bytes and the `knowledge.ingest` job, in one transaction; the job reads the text in a child process
 * (`extract.ts`), cuts it into passages and marks the document `ready` — or `failed` with the reason, never leaving
 * it half-written. Search is full-text over the client's ready passages.
 */
export const createKnowledgeService = (deps: {
  db: Kysely<KnowledgeTables>
  queue: Queue
  audit: AuditService
  egress: Pick<Egress, 'request'>
  extract: Extractor
  vectors?: KnowledgeVectors
}) => {
  const { db, audit } = deps
  const vectors = deps.vectors?.support.available ? deps.vectors : undefined

  const ingestJob = defineJob({
    name: 'knowledge.ingest',
    payload: z.object({ documentId: z.string() }),
    retryLimit: INGEST_RETRIES,
    retryDelaySeconds: 30,
    handler: ({ documentId }) => ingest(documentId),
  })

  const fail = (id: string, error: string) =>
    db
      .updateTable('knowledgeDocuments')
      .set({ status: 'failed', error: error.slice(0, 500), source: null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute()

  /** A web page's bytes, through the egress guard (public addresses only, size and time capped). */
  const fetchPage = async (url: string) => {
    const res = await deps.egress.request(url, { headers: { accept: 'text/html,text/plain;q=0.9,*/*;q=0.5' } })
    if (res.status < 200 || res.status > 299) throw new ExtractionError(`The page answered HTTP ${res.status}.`)
    return { bytes: res.body, html: (res.headers.get('content-type') ?? 'text/html').includes('html') }
  }

  /** Reads a pending document and stores its passages; a second run (a retried job) finds it no longer pending. */
  /**
   * One attempt of the job, counted on the row: what cannot be read fails the document at once; an unexpected error
   * (the database) is thrown for pg-boss to retry, except on the last attempt, which fails the document with it.
   */
  const ingest = async (documentId: string) => {
    const attempt = await documents.startAttempt(db, documentId)
    if (attempt !== undefined)
      try {
        await readAndStore(documentId)
      } catch (error) {
        if (attempt <= INGEST_RETRIES) throw error
        return void (await fail(documentId, 'The document could not be stored. Delete it and add it again.'))
      }
    // After the passages (and on a retry of a document already ready: what an earlier attempt left unembedded).
    await embedDocument(documentId)
  }

  /**
   * The request id of an embeddings call: `base` unless an earlier call under it failed (recorded, not charged), then
   * the next unused retry id — a crashed call's id is reused (its hold is replayed, never doubled).
   */
  const embedRequestId = async (workspaceId: string, base: string) => {
    for (let n = 0; ; n++) {
      const id = n ? `${base}:retry${n}` : base
      const recorded = await recordedCall(db as Handle, workspaceId, id)
      if (!recorded || recorded.charged !== null) return id
    }
  }

  /**
   * Embeds texts in one metered call (surface `knowledge`): held, priced on the tokens the provider reported, recorded
   * and settled, with `store` committed in the usage record's transaction. A request id seen before with its hold
   * still pending (a process that died mid-call) is charged once; with its hold already resolved, not again.
   */
  const embedMetered = async (
    v: KnowledgeVectors,
    set: ModelSet,
    entry: CatalogEntry,
    who: { workspaceId: string; clientId: string; userId: string },
    requestId: string,
    texts: string[],
    store: (trx: Handle, vectors: number[][]) => Promise<void>,
  ) => {
    const promptText = texts.join('\n')
    const metered = await v.metering.begin({
      ...who,
      tokenId: null,
      surface: 'knowledge',
      requestId,
      entry,
      billedBy: set.billedBy(entry),
      promptText,
      maxOutputTokens: 0,
      streaming: false,
      params: { embeddings: entry.id },
    })
    let out
    try {
      out = await set.embed(texts)
      if (out.vectors.length !== texts.length) throw new Error('The provider returned another number of embeddings.')
    } catch (error) {
      if (!metered.replay || metered.hold.status === 'pending')
        await metered.complete({
          usage: normalizeUsage(undefined, { prompt: () => promptText, output: '' }),
          free: true,
          agentId: null,
          within: async () => 'failed',
        })
      throw error
    }
    const vectorsOut = out.vectors
    if (metered.replay && metered.hold.status !== 'pending') {
      await db.transaction().execute((trx) => store(trx, vectorsOut))
      return vectorsOut
    }
    await metered.complete({
      usage: normalizeUsage(out.tokens ? { inputTokens: out.tokens, outputTokens: 0 } : undefined, {
        prompt: () => promptText,
        output: '',
      }),
      free: false,
      agentId: null,
      within: async (trx) => {
        await store(trx, vectorsOut)
        return 'complete'
      },
    })
    return vectorsOut
  }

  /**
   * Embeds a ready document's passages that have no vector under the workspace's embeddings model, in batches of
   * `EMBED_BATCH` passage numbers (each batch one metered call with its own request id): a retried job embeds and
   * charges only what is missing. No pgvector or no provider offering embeddings: nothing (full-text only). Credits or
   * plan refusals leave the document full-text; provider and database errors are thrown for the job to retry.
   */
  const embedDocument = async (documentId: string) => {
    if (!vectors) return
    const doc = await documents.forEmbedding(db, documentId)
    if (doc?.status !== 'ready') return
    const set = await vectors.models.forWorkspace(doc.workspaceId)
    const entry = set.embeddingsModel()
    if (!entry) return
    const last = await embeddings.lastSeq(db, documentId)
    try {
      for (let batch = 0; batch * EMBED_BATCH < last; batch++) {
        const missing = await embeddings.missing(
          db,
          documentId,
          entry.id,
          batch * EMBED_BATCH + 1,
          (batch + 1) * EMBED_BATCH,
        )
        if (!missing.length) continue
        const requestId = await embedRequestId(doc.workspaceId, `knowledge-embed:${documentId}:${entry.id}:${batch}`)
        await embedMetered(
          vectors,
          set,
          entry,
          { workspaceId: doc.workspaceId, clientId: doc.clientId, userId: doc.createdBy },
          requestId,
          missing.map((m) => m.text),
          (trx, list) =>
            embeddings.insert(
              own<KnowledgeTables>(trx),
              doc,
              entry.id,
              missing.map((m, i) => ({ seq: m.seq, vector: list[i]! })),
            ),
        )
      }
    } catch (error) {
      if (error instanceof AppError && (error.status === 402 || error.status === 403)) return
      throw error
    }
  }

  /**
   * The client's passages nearest to the query by meaning, when vectors can be searched here (pgvector), the
   * workspace has an embeddings model and the client has passages embedded with it; undefined otherwise. The query's
   * embedding is a metered call; if it cannot be made (credits, the provider), search falls back to full-text.
   */
  const nearest = async (scope: ClientScope, q: string, limit: number) => {
    if (!vectors) return undefined
    const set = await vectors.models.forWorkspace(scope.workspaceId)
    const entry = set.embeddingsModel()
    if (!entry || !(await embeddings.any(db, scope, entry.id))) return undefined
    let query: number[] | undefined
    try {
      ;[query] = await embedMetered(
        vectors,
        set,
        entry,
        { workspaceId: scope.workspaceId, clientId: scope.clientId, userId: scope.userId },
        `knowledge-search:${randomUUID()}`,
        [q],
        async () => {},
      )
    } catch {
      return undefined
    }
    if (!query) return undefined
    const found = await embeddings.nearest(db, scope, entry.id, query, limit, vectors.minSimilarity)
    return found.map(({ similarity: _similarity, ...p }) => p)
  }

  const readAndStore = async (documentId: string) => {
    const doc = await documents.pendingSource(db, documentId)
    if (doc?.status !== 'pending') return
    let read
    try {
      if (doc.kind === 'web') {
        const page = await fetchPage(doc.url!)
        // A link to a PDF or a Word file is read as that file; anything else as the page it says it is.
        const kind = sniffKind(page.bytes, new URL(doc.url!).pathname)
        read = await deps.extract(
          kind === 'pdf' || kind === 'docx' || !page.html ? (kind ?? 'text') : 'web',
          page.bytes,
        )
      } else read = await deps.extract(doc.kind, doc.source ?? Buffer.alloc(0))
    } catch (error) {
      if (error instanceof ExtractionError || error instanceof EgressError)
        return void (await fail(documentId, error.message))
      throw error
    }
    const { text, chunks: list } = chunkSections(read.sections)
    if (!list.length)
      return void (await fail(
        documentId,
        doc.kind === 'pdf'
          ? 'No text was found: a scanned PDF holds only images, and text recognition (OCR) is not done here.'
          : 'No text was found in the document.',
      ))
    await db.transaction().execute(async (trx) => {
      const row = await documents.lockForIngest(trx, documentId)
      if (row?.status !== 'pending') return
      await chunks.replace(trx, row, list)
      const pages = read.sections.some((s) => s.page !== null) ? read.sections.length : null
      await trx
        .updateTable('knowledgeDocuments')
        .set({
          status: 'ready',
          source: null,
          pages,
          characters: text.length,
          passages: list.length,
          readyAt: new Date(),
          // A page added without a name is named by its title.
          ...(row.kind === 'web' && row.name === row.url!.slice(0, 200) && read.title ? { name: read.title } : {}),
        })
        .where('id', '=', documentId)
        .execute()
    })
  }

  return {
    jobs: [ingestJob],
    ingest,

    /** The client of a document, for the scope check of its routes (undefined: no such document). */
    clientOf: (id: string) => documents.clientOf(db, id),

    /**
     * A document committed `pending` with its ingest job (202). The same Idempotency-Key with the same upload answers
     * the first document; with another file or page, 409.
     */
    async add(scope: ClientScope, input: KnowledgeInput, key: string | undefined, meta: RequestMeta) {
      const base = {
        id: newId('kd'),
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        createdBy: scope.userId,
        idempotencyKey: key ?? null,
        status: 'pending' as const,
        error: null,
        pages: null,
        characters: null,
      }
      let row: Parameters<typeof documents.insert>[1]
      if ('file' in input) {
        const { bytes, name } = input.file
        if (bytes.length > KNOWLEDGE_MAX_BYTES) throw knowledgeErrors.file_too_large({ bytes: bytes.length })
        if (!bytes.length) throw knowledgeErrors.empty_file()
        const kind = sniffKind(bytes, name)
        if (!kind) throw knowledgeErrors.unsupported_type()
        const sha256 = createHash('sha256').update(bytes).digest('hex')
        const requestHash = hashOf(['file', name, sha256])
        row = { ...base, name, kind, url: null, bytes: bytes.length, sha256, source: bytes, requestHash }
      } else {
        const { url, name } = input.page
        const requestHash = hashOf(['page', name ?? null, url])
        row = {
          ...base,
          name: name ?? url.slice(0, 200),
          kind: 'web',
          url,
          bytes: null,
          sha256: null,
          source: null,
          requestHash,
        }
      }
      const replay = async () => {
        if (!key) return undefined
        const found = await documents.byIdempotencyKey(db, scope, key)
        if (found && found.requestHash !== row.requestHash) throw knowledgeErrors.idempotency_key_reused()
        return found
      }
      const earlier = await replay()
      if (earlier) return toDto(earlier)
      try {
        return await db.transaction().execute(async (trx) => {
          const doc = await documents.insert(trx, row)
          await audit.record(trx, {
            action: 'knowledge.document_added',
            workspaceId: scope.workspaceId,
            actorUserId: scope.userId,
            targetType: 'knowledge_document',
            targetId: doc.id,
            ip: meta.ip,
            metadata: { clientId: scope.clientId, name: doc.name, kind: doc.kind, bytes: doc.bytes, url: doc.url },
          })
          await deps.queue.enqueue(trx, ingestJob, { documentId: doc.id }, { singletonKey: doc.id })
          return toDto(doc)
        })
      } catch (err) {
        // The same key sent twice at once: the second meets the unique index and answers the first's document.
        if ((err as { code?: string }).code !== '23505') throw err
        const first = await replay()
        if (!first) throw err
        return toDto(first)
      }
    },

    async get(scope: ClientScope, id: string) {
      const doc = await documents.get(db, scope, id)
      if (!doc) throw knowledgeErrors.document_not_found()
      return toDto(doc)
    },

    async list(scope: ClientScope, q: KnowledgeListQuery) {
      const page = await documents.page(db, scope, q)
      return { items: page.items.map(toDto), nextCursor: page.nextCursor }
    },

    /** Documents ready to search (the composer's suggestions). */
    readyDocuments: (scope: ClientScope) => documents.readyCount(db, scope),

    /** Deletes a document and its passages (they cascade), audited with what it was. */
    remove: (scope: ClientScope, id: string, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const gone = await documents.remove(trx, scope, id)
        if (!gone) throw knowledgeErrors.document_not_found()
        await audit.record(trx, {
          action: 'knowledge.document_deleted',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'knowledge_document',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, name: gone.name, kind: gone.kind },
        })
      }),

    /**
     * Full-text search, fused with vector search (reciprocal rank fusion) when it can run (`nearest`); `mode` says
     * which it was: `hybrid` or `full_text`.
     */
    async search(scope: ClientScope, q: string, limit: number): Promise<KnowledgeSearchResult> {
      const candidates = Math.max(limit * 3, FUSION_CANDIDATES)
      const near = await nearest(scope, q, candidates)
      if (!near) return { items: await chunks.search(db, scope, q, limit), mode: 'full_text' }
      return { items: fuse([await chunks.search(db, scope, q, candidates), near], limit), mode: 'hybrid' }
    },

    /** How search runs on this server: `hybrid` where pgvector is installed (vectors, for workspaces with embeddings). */
    vectorSupport: (): VectorSupport =>
      deps.vectors?.support ?? { available: false, reason: 'vector search is not configured' },
  }
}
export type KnowledgeService = ReturnType<typeof createKnowledgeService>
