import { sql, type Kysely } from 'kysely'
import type { KnowledgeListQuery, KnowledgePassage } from '../../../contracts/knowledge.ts'
import { newestFirstPage } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { Chunk } from './chunk.ts'
import type { KnowledgeDocumentsTable, KnowledgeTables } from './knowledge.tables.ts'

type Db = Kysely<KnowledgeTables>
/** Every column but the stored bytes: what reads of a document need. */
const COLUMNS = [
  'id',
  'workspaceId',
  'clientId',
  'name',
  'kind',
  'url',
  'bytes',
  'sha256',
  'status',
  'error',
  'pages',
  'characters',
  'passages',
  'createdBy',
  'createdAt',
  'readyAt',
] as const

export const documents = {
  insert: (db: Db, row: Omit<KnowledgeDocumentsTable, 'passages' | 'attempts' | 'createdAt' | 'readyAt'>) =>
    db.insertInto('knowledgeDocuments').values(row).returning(COLUMNS).executeTakeFirstOrThrow(),

  get: (db: Db, scope: ClientScope, id: string) =>
    db
      .selectFrom('knowledgeDocuments')
      .select(COLUMNS)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst(),

  /** The document an upload with this Idempotency-Key made, with the hash of what it was sent with. */
  byIdempotencyKey: (db: Db, scope: ClientScope, key: string) =>
    db
      .selectFrom('knowledgeDocuments')
      .select([...COLUMNS, 'requestHash'])
      .where('clientId', '=', scope.clientId)
      .where('idempotencyKey', '=', key)
      .executeTakeFirst(),

  /** The client a document belongs to (for the scope check of a by-id route). */
  clientOf: async (db: Db, id: string) =>
    (await db.selectFrom('knowledgeDocuments').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

  page: (db: Db, scope: ClientScope, q: KnowledgeListQuery) =>
    newestFirstPage(db.selectFrom('knowledgeDocuments').select(COLUMNS).where('clientId', '=', scope.clientId), q),

  /** How many of a client's documents are ready to search. */
  readyCount: async (db: Db, scope: ClientScope) =>
    Number(
      (
        await db
          .selectFrom('knowledgeDocuments')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('clientId', '=', scope.clientId)
          .where('status', '=', 'ready')
          .executeTakeFirstOrThrow()
      ).n,
    ),

  remove: (db: Db, scope: ClientScope, id: string) =>
    db
      .deleteFrom('knowledgeDocuments')
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .returning(['id', 'name', 'kind'])
      .executeTakeFirst(),

  /** The ingest job's view: the row with its bytes, locked until its transaction ends. */
  lockForIngest: (db: Db, id: string) =>
    db.selectFrom('knowledgeDocuments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  /** Counts an ingest attempt of a pending document: its number, or undefined when the document is not pending. */
  startAttempt: async (db: Db, id: string) =>
    (
      await db
        .updateTable('knowledgeDocuments')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning('attempts')
        .executeTakeFirst()
    )?.attempts,

  /** What embedding a document needs: its tenancy, who added it (the metered calls are theirs) and its status. */
  forEmbedding: (db: Db, id: string) =>
    db
      .selectFrom('knowledgeDocuments')
      .select(['id', 'workspaceId', 'clientId', 'createdBy', 'status'])
      .where('id', '=', id)
      .executeTakeFirst(),

  pendingSource: (db: Db, id: string) =>
    db
      .selectFrom('knowledgeDocuments')
      .select(['id', 'kind', 'url', 'source', 'status', 'name'])
      .where('id', '=', id)
      .executeTakeFirst(),
}

export const chunks = {
  replace: async (db: Db, doc: { id: string; workspaceId: string; clientId: string }, list: Chunk[]) => {
    await db.deleteFrom('knowledgeChunks').where('documentId', '=', doc.id).execute()
    for (let i = 0; i < list.length; i += 500)
      await db
        .insertInto('knowledgeChunks')
        .values(
          list.slice(i, i + 500).map((c) => ({
            documentId: doc.id,
            seq: c.seq,
            workspaceId: doc.workspaceId,
            clientId: doc.clientId,
            page: c.page,
            startOffset: c.start,
            endOffset: c.end,
            text: c.text,
          })),
        )
        .execute()
  },

  /**
   * The client's passages matching a web-search-style query (`websearch_to_tsquery('simple', …)`: words, "phrases",
   * -exclusions; never a syntax error), best first by `ts_rank`, from documents that are ready.
   */
  search: async (db: Db, scope: ClientScope, q: string, limit: number): Promise<KnowledgePassage[]> => {
    const query = sql`websearch_to_tsquery('simple', ${q})`
    const rows = await db
      .selectFrom('knowledgeChunks as c')
      .innerJoin('knowledgeDocuments as d', 'd.id', 'c.documentId')
      .select([
        'c.documentId',
        'd.name as documentName',
        'd.kind',
        'd.url',
        'c.seq',
        'c.page',
        'c.startOffset',
        'c.endOffset',
        'c.text',
        sql<number>`ts_rank(c.tsv, ${query})`.as('rank'),
      ])
      .where('c.clientId', '=', scope.clientId)
      .where('d.clientId', '=', scope.clientId)
      .where('d.status', '=', 'ready')
      .where(sql<boolean>`c.tsv @@ ${query}`)
      .orderBy('rank', 'desc')
      .orderBy('c.documentId')
      .orderBy('c.seq')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      documentId: r.documentId,
      documentName: r.documentName,
      kind: r.kind,
      url: r.url,
      passage: r.seq,
      page: r.page,
      start: r.startOffset,
      end: r.endOffset,
      text: r.text,
      rank: Number(r.rank),
    }))
  },
}
