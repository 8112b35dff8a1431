import { describe, expect, it } from 'vitest'
import type { KnowledgePassage } from '../../../contracts/knowledge.ts'
import { fuse } from './vectors.ts'

const passage = (documentId: string, n: number): KnowledgePassage => ({
  documentId,
  documentName: `${documentId}.pdf`,
  kind: 'pdf',
  url: null,
  passage: n,
  page: n,
  start: 0,
  end: 10,
  text: `passage ${n}`,
  rank: 0.5,
})

describe('reciprocal rank fusion', () => {
  it('raises a passage both lists found above one only a single list ranked first', () => {
    const a1 = passage('a', 1)
    const a2 = passage('a', 2)
    const b1 = passage('b', 1)
    const fused = fuse(
      [
        [a1, a2],
        [b1, a2],
      ],
      3,
    )
    expect(fused.map((p) => `${p.documentId}:${p.passage}`)).toEqual(['a:2', 'a:1', 'b:1'])
    expect(fused[0]!.rank).toBeCloseTo(1 / 62 + 1 / 62, 10)
    expect(fused[1]!.rank).toBeCloseTo(1 / 61, 10)
  })

  it('keeps one list as it was, cut to the limit, and ties in document then passage order', () => {
    expect(fuse([[passage('b', 1), passage('a', 3)], []], 1).map((p) => p.documentId)).toEqual(['b'])
    expect(fuse([[passage('b', 1)], [passage('a', 1)]], 2).map((p) => p.documentId)).toEqual(['a', 'b'])
    expect(fuse([[], []], 5)).toEqual([])
  })
})
