import type { Section } from './extract.protocol.ts'

export type Chunk = { seq: number; page: number | null; start: number; end: number; text: string }

/** Passage size in characters: long enough to carry a price list's row with its heading, short enough to cite. */
export const CHUNK_TARGET = 1000
export const CHUNK_MAX = 1200
export const CHUNK_MIN = 800
export const CHUNK_OVERLAP = 150

/** Where to end a passage that starts at `from`: the last paragraph, line, sentence or word break in [MIN, MAX]. */
const cutAt = (text: string, from: number) => {
  if (text.length - from <= CHUNK_MAX) return text.length
  const window = text.slice(from + CHUNK_MIN, from + CHUNK_MAX)
  for (const pattern of [/\n\s*\n/g, /\n/g, /[.!?;:]\s/g, /\s/g]) {
    let last = -1
    for (const m of window.matchAll(pattern)) last = m.index + m[0].length
    if (last > 0) return from + CHUNK_MIN + last
  }
  return from + CHUNK_TARGET
}

/** The start of the next passage: about CHUNK_OVERLAP characters before `end`, moved forward to a word's start. */
const nextStart = (text: string, start: number, end: number) => {
  if (end >= text.length) return end
  let at = Math.max(start + 1, end - CHUNK_OVERLAP)
  const space = text.slice(at, end).search(/\s\S/)
  if (space >= 0) at += space + 1
  return at
}

/**
 * A document's sections cut into passages of ~800–1200 characters that overlap by ~150 (a fact at a boundary is whole
 * in one of them), cut at paragraph, line, sentence or word breaks. Offsets are in the document's text: its sections
 * joined with a blank line, in order; a passage keeps the page it starts on. Whitespace-only passages are dropped.
 */
export const chunkSections = (sections: Section[]): { text: string; chunks: Chunk[] } => {
  const chunks: Chunk[] = []
  const parts: string[] = []
  let offset = 0
  for (const section of sections) {
    const text = section.text.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n')
    if (parts.length) offset += 2
    for (let start = 0; start < text.length;) {
      const end = cutAt(text, start)
      const passage = text.slice(start, end).trim()
      if (passage)
        chunks.push({
          seq: chunks.length + 1,
          page: section.page,
          start: offset + start,
          end: offset + end,
          text: passage,
        })
      start = nextStart(text, start, end)
    }
    parts.push(text)
    offset += text.length
  }
  return { text: parts.join('\n\n'), chunks }
}
