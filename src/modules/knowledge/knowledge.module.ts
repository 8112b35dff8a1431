import { own, type Handle } from '../../platform/db/database.ts'
import type { Egress } from '../../platform/egress/egress.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createExtractor, type Extractor } from './extract.ts'
import { searchKnowledgeTool } from './knowledge-tool.ts'
import { knowledgeRoutes } from './knowledge.routes.ts'
import { createKnowledgeService } from './knowledge.service.ts'
import type { KnowledgeTables } from './knowledge.tables.ts'

export type { KnowledgeService } from './knowledge.service.ts'

/**
 * A client's knowledge base (issue 15 §7, ADR 0008): documents and web pages read into passages in the background
 * (`knowledge.ingest`, text extraction in a child process), searched with PostgreSQL full-text search; the
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
}) => {
  const knowledge = createKnowledgeService({
    db: own<KnowledgeTables>(deps.db),
    queue: deps.queue,
    audit: deps.audit,
    egress: deps.egress,
    extract: deps.extract ?? createExtractor(),
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
