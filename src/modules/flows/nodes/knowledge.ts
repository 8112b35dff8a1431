import { z } from 'zod'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { defineNode, exprOr, fatal, type NodeType } from '../registry.ts'
import { common, type NodeSpec } from './specs.ts'

/**
 * The knowledge base in flows (issue 15 §9): "Search knowledge" reads the run's client's passages through the
 * knowledge module's public API (wired in the container), never its tables. It has no side effect.
 */
export const searchKnowledgeSpec = {
  type: 'knowledge.search',
  kind: 'action',
  label: 'Search knowledge',
  description:
    "Searches the client's knowledge base (documents and web pages) for the words given. Output: passages (each with " +
    'documentId, document, passage, page, text) and count.',
  icon: 'book',
  config: z.strictObject({
    query: exprOr(z.string().trim().min(2).max(200)).meta({
      title: 'Words to search',
      description: 'Words, "a phrase", -excluded; an expression such as $trigger.text works too.',
    }),
    limit: z.number().int().min(1).max(20).default(5).meta({ title: 'Passages at most' }),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'none',
} satisfies NodeSpec

export type KnowledgeNodeDeps = {
  stillAllowed(scope: ClientScope): Promise<boolean>
  search(
    scope: ClientScope,
    q: string,
    limit: number,
  ): Promise<{
    items: { documentId: string; documentName: string; passage: number; page: number | null; text: string }[]
  }>
}

export const knowledgeNodes = (deps: KnowledgeNodeDeps): NodeType[] => [
  defineNode({
    ...searchKnowledgeSpec,
    execute: async ({ config, scope }) => {
      // Runs act as the version's publisher: one who lost access to the client reads nothing of it any more.
      if (!(await deps.stillAllowed({ ...scope, role: 'viewer' })))
        throw fatal('flows.publisher_gone', 'The person who published this flow no longer has access to its client.')
      const { items } = await deps.search(scope, config.query, config.limit)
      const passages = items.map((p) => ({
        documentId: p.documentId,
        document: p.documentName,
        passage: p.passage,
        page: p.page,
        text: p.text,
      }))
      return { output: { passages, count: passages.length } }
    },
  }),
]
