import { describe, expect, it } from 'vitest'
import { CHUNK_MAX, CHUNK_MIN, chunkSections } from './chunk.ts'

const sentence = (i: number) => `Sentence number ${i} tells one small fact about the menu. `

describe('chunkSections', () => {
  it('keeps a short section as one passage with its offsets and page', () => {
    const { text, chunks } = chunkSections([{ page: 3, text: '  Espresso 12 lei.  ' }])
    expect(text).toBe('  Espresso 12 lei.  ')
    expect(chunks).toEqual([{ seq: 1, page: 3, start: 0, end: 20, text: 'Espresso 12 lei.' }])
  })

  it('cuts long text at sentence breaks into 800–1200 characters that overlap', () => {
    const long = Array.from({ length: 80 }, (_, i) => sentence(i)).join('')
    const { chunks } = chunkSections([{ page: null, text: long }])
    expect(chunks.length).toBeGreaterThan(3)
    for (const c of chunks.slice(0, -1)) {
      expect(c.end - c.start).toBeGreaterThanOrEqual(CHUNK_MIN)
      expect(c.end - c.start).toBeLessThanOrEqual(CHUNK_MAX)
      expect(long.slice(c.start, c.end).trim()).toBe(c.text)
      expect(c.text.endsWith('.')).toBe(true)
    }
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.start).toBeLessThan(chunks[i - 1]!.end)
    expect(chunks.at(-1)!.end).toBe(long.length)
  })

  it("numbers offsets in the document's text: sections joined by a blank line", () => {
    const { text, chunks } = chunkSections([
      { page: 1, text: 'First page.' },
      { page: 2, text: 'Second page.' },
    ])
    expect(text).toBe('First page.\n\nSecond page.')
    expect(chunks[1]).toMatchObject({ page: 2, start: 13, end: 25 })
    expect(text.slice(chunks[1]!.start, chunks[1]!.end)).toBe('Second page.')
  })

  it('drops empty sections and cuts text without any break at the target size', () => {
    const { chunks } = chunkSections([
      { page: 1, text: '   ' },
      { page: 2, text: 'x'.repeat(2500) },
    ])
    expect(chunks.map((c) => c.page)).toEqual([2, 2, 2])
    expect(chunks[0]!.text).toHaveLength(1000)
  })
})
