import { own, type Handle } from '../../platform/db/database.ts'
import type { Egress } from '../../platform/egress/egress.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createExtractor, type Extractor } from './extract.ts'
import { searchKnowledgeTool } from './knowledge-tool.ts'
import { knowledgeRoutes } from './knowledge.routes.ts'
import { createKnowledgeService, type KnowledgeVectors } from './knowledge.service.ts'
import type { KnowledgeTables } from './knowledge.tables.ts'
import { detectVectorSupport } from './vectors.ts'

export type { KnowledgeService, KnowledgeVectors } from './knowledge.service.ts'
export type { VectorSupport } from './vectors.ts'

/** Finds (and creates) pgvector at boot: the composition root awaits it before building the module (ADR 0008 §6). */
export const prepareKnowledgeVectors = (db: Handle) => detectVectorSupport(own<KnowledgeTables>(db))

/**
 * A client's knowledge base (issue 15 §7, ADR 0008): documents and web pages read into passages in the background
 * (`knowledge.ingest`, text extraction in a child process, then embeddings where a provider offers them), searched
 * with PostgreSQL full-text search fused with vector search where pgvector is installed; the
 * `search_knowledge` tool (offered to every agent, registered by the composition root) answers from them.
 */
export const createKnowledgeModule = (deps: {
  db: Handle
  queue: Queue
  audit: AuditService
  scope: ScopeResolver
  /** For web pages: the one egress client (public addresses only). */
  egress: Pick<Egress, 'request'>
  /** Tests only: another reader (default: the child-process reader). */
  extract?: Extractor
  /** Vector search (pgvector found at boot, the workspaces' embeddings, the credits meter); absent: full-text only. */
  vectors?: KnowledgeVectors
}) => {
  const knowledge = createKnowledgeService({
    db: own<KnowledgeTables>(deps.db),
    queue: deps.queue,
    audit: deps.audit,
    egress: deps.egress,
    extract: deps.extract ?? createExtractor(),
    vectors: deps.vectors,
  })
  return {
    knowledge,
    /** The agents' tool (`tools.registry.register(...)`). */
    tools: [searchKnowledgeTool(knowledge.search)],
    routes: [knowledgeRoutes({ knowledge, scope: deps.scope })],
    jobs: knowledge.jobs,
  } satisfies ModuleShape
}
export type KnowledgeModule = ReturnType<typeof createKnowledgeModule>
