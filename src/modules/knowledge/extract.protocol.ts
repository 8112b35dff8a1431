import type { KnowledgeKind } from '../../../contracts/knowledge.ts'

/** A run of a document's text and the PDF page it comes from (null: the format has no pages). */
export type Section = { page: number | null; text: string }

export type ExtractRequest = { kind: KnowledgeKind; bytes: Uint8Array }
export type ExtractResponse = { ok: true; title: string; sections: Section[] } | { ok: false; error: string }
