import { sql, type Kysely } from 'kysely'
import type { KnowledgePassage } from '../../../contracts/knowledge.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { KnowledgeTables } from './knowledge.tables.ts'

type Db = Kysely<KnowledgeTables>

/** Whether this database can search vectors (pgvector), and why not when it cannot: said at boot and by search. */
export type VectorSupport = { available: true; version: string } | { available: false; reason: string }

/**
 * Finds pgvector at boot (ADR 0008 §6): PGlite loads its embedded build, PostgreSQL lists it in
 * `pg_available_extensions` only when it is installed on the server. Creates the extension when it is available
 * (`IF NOT EXISTS`; two processes booting at once may race, so a failure is re-checked against `pg_extension`).
 * Anything short of an installed extension — not available, or no privilege to create it — is full-text only.
 */
export const detectVectorSupport = async (db: Db): Promise<VectorSupport> => {
  const installed = async () =>
    (
      await sql<{
        version: string
      }>`SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'`.execute(db)
    ).rows[0]?.version
  try {
    const available = await sql`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`.execute(db)
    if (!available.rows.length)
      return { available: false, reason: 'the pgvector extension is not installed on this PostgreSQL server' }
    const already = await installed()
    if (already) return { available: true, version: already }
    try {
      await sql`CREATE EXTENSION IF NOT EXISTS vector`.execute(db)
    } catch (error) {
      const raced = await installed()
      if (raced) return { available: true, version: raced }
      return { available: false, reason: `CREATE EXTENSION vector failed: ${(error as Error).message}` }
    }
    return { available: true, version: (await installed()) ?? 'unknown' }
  } catch (error) {
    return { available: false, reason: `the vector extension could not be checked: ${(error as Error).message}` }
  }
}

/** pgvector's text form of a vector (`[0.1,0.2]`); the numbers are ours (the provider's floats), never user text. */
const vectorLiteral = (v: number[]) => `[${v.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}]`
/** PostgreSQL's array literal for a `real[]` column. */
const arrayLiteral = (v: number[]) => `{${v.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}}`

export const embeddings = {
  /** The passages of a document in `[from, to]` (passage numbers) that have no embedding under `model` yet. */
  missing: (db: Db, documentId: string, model: string, from: number, to: number) =>
    db
      .selectFrom('knowledgeChunks as c')
      .select(['c.seq', 'c.text'])
      .where('c.documentId', '=', documentId)
      .where('c.seq', '>=', from)
      .where('c.seq', '<=', to)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('knowledgeEmbeddings as e')
              .select('e.seq')
              .whereRef('e.documentId', '=', 'c.documentId')
              .whereRef('e.seq', '=', 'c.seq')
              .where('e.model', '=', model),
          ),
        ),
      )
      .orderBy('c.seq')
      .execute(),

  /** The highest passage number of a document (0 when it has none). */
  lastSeq: async (db: Db, documentId: string) =>
    (
      await db
        .selectFrom('knowledgeChunks')
        .select((eb) => eb.fn.max<number | null>('seq').as('last'))
        .where('documentId', '=', documentId)
        .executeTakeFirst()
    )?.last ?? 0,

  /** Stores vectors (a passage already embedded under the model keeps its first vector: a retry writes nothing twice). */
  insert: async (
    db: Db,
    doc: { id: string; clientId: string },
    model: string,
    rows: { seq: number; vector: number[] }[],
  ) => {
    if (!rows.length) return
    await db
      .insertInto('knowledgeEmbeddings')
      .values(
        rows.map((r) => ({
          documentId: doc.id,
          seq: r.seq,
          clientId: doc.clientId,
          model,
          dims: r.vector.length,
          embedding: sql<number[]>`${arrayLiteral(r.vector)}::real[]`,
        })),
      )
      .onConflict((oc) => oc.columns(['documentId', 'seq', 'model']).doNothing())
      .execute()
  },

  /** Whether the client has any passage embedded under `model` (else a query is not worth embedding). */
  any: async (db: Db, scope: ClientScope, model: string) =>
    Boolean(
      await db
        .selectFrom('knowledgeEmbeddings')
        .select('seq')
        .where('clientId', '=', scope.clientId)
        .where('model', '=', model)
        .limit(1)
        .executeTakeFirst(),
    ),

  /**
   * The client's ready passages nearest to a query vector by cosine distance (pgvector's `<=>`; needs the extension),
   * those at least `minSimilarity` alike, best first. An exact scan of the client's passages (no ANN index: a client's
   * base is thousands of passages at most, and the column is `real[]` of any dimension).
   */
  nearest: async (
    db: Db,
    scope: ClientScope,
    model: string,
    query: number[],
    limit: number,
    minSimilarity: number,
  ): Promise<(KnowledgePassage & { similarity: number })[]> => {
    const q = sql`${vectorLiteral(query)}::vector`
    const distance = sql<number>`(e.embedding::vector <=> ${q})`
    const rows = await db
      .selectFrom('knowledgeEmbeddings as e')
      .innerJoin('knowledgeChunks as c', (j) =>
        j.onRef('c.documentId', '=', 'e.documentId').onRef('c.seq', '=', 'e.seq'),
      )
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
        distance.as('distance'),
      ])
      .where('e.clientId', '=', scope.clientId)
      .where('c.clientId', '=', scope.clientId)
      .where('d.clientId', '=', scope.clientId)
      .where('d.status', '=', 'ready')
      .where('e.model', '=', model)
      .where('e.dims', '=', query.length)
      .orderBy(distance)
      .orderBy('c.documentId')
      .orderBy('c.seq')
      .limit(limit)
      .execute()
    return rows
      .map((r) => ({
        documentId: r.documentId,
        documentName: r.documentName,
        kind: r.kind,
        url: r.url,
        passage: r.seq,
        page: r.page,
        start: r.startOffset,
        end: r.endOffset,
        text: r.text,
        rank: 0,
        similarity: 1 - Number(r.distance),
      }))
      .filter((r) => r.similarity >= minSimilarity)
  },
}

/** Reciprocal rank fusion's constant (Cormack et al.): a passage's score is Σ 1 / (K + its rank in each list). */
const RRF_K = 60

/**
 * Merges the full-text and the vector lists by reciprocal rank fusion: no score scales to reconcile (ts_rank and cosine
 * similarity are not comparable), a passage found by both rises. `rank` becomes the fused score; best first.
 */
export const fuse = (lists: KnowledgePassage[][], limit: number): KnowledgePassage[] => {
  const merged = new Map<string, KnowledgePassage>()
  for (const list of lists)
    for (const [i, p] of list.entries()) {
      const key = `${p.documentId}:${p.passage}`
      const score = 1 / (RRF_K + i + 1)
      const seen = merged.get(key)
      merged.set(key, { ...(seen ?? p), rank: (seen?.rank ?? 0) + score })
    }
  return [...merged.values()]
    .sort(
      (a, b) =>
        b.rank - a.rank ||
        (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0) ||
        a.passage - b.passage,
    )
    .slice(0, limit)
}
