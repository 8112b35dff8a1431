import { z } from 'zod'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { defineTool } from '../tools/tools.module.ts'
import type { KnowledgeService } from './knowledge.service.ts'

/** Passages the tool gives the model per call: enough to answer from, few enough to fit any context window. */
const TOOL_PASSAGES = 5

/**
 * `search_knowledge`: the conversation's client's knowledge base, searched within that client only — the client comes
 * from the call's scope, never from the model's input. Each passage names its document, passage number and page so
 * the answer can cite them.
 */
export const searchKnowledgeTool = (search: KnowledgeService['search']) =>
  defineTool({
    name: 'search_knowledge',
    description:
      "Search this client's knowledge base (uploaded documents and saved web pages: briefs, brand guides, price " +
      'lists). Returns the best matching passages with their document name, id, passage number and page.',
    rule:
      "search this client's knowledge base before answering about its products, prices, policies or brand; " +
      'cite what you use as [document name, p. N] (or § passage when there is no page); say so when nothing matches.',
    input: z.object({
      query: z.string().min(2).max(200).describe('A few keywords in the language of the documents.'),
    }),
    minRole: 'viewer',
    offeredToEveryAgent: true,
    async execute({ query }, ctx) {
      const scope: ClientScope = ctx.scope
      const { items } = await search(scope, query, TOOL_PASSAGES)
      return {
        passages: items.map((p) => ({
          documentId: p.documentId,
          document: p.documentName,
          passage: p.passage,
          page: p.page,
          url: p.url,
          text: p.text,
        })),
        ...(items.length ? {} : { note: 'Nothing in the knowledge base matches these words.' }),
      }
    },
  })
