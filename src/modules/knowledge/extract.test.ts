import { describe, expect, it } from 'vitest'
import { minimalPdf } from '../../../test/fixtures/knowledge-documents.ts'
import { createExtractor, ExtractionError } from './extract.ts'

describe('the child-process reader', () => {
  it('reads each PDF page as its own section', async () => {
    const read = await createExtractor()('pdf', minimalPdf(['One', 'Two (2)']))
    expect(read.sections).toEqual([
      { page: 1, text: 'One' },
      { page: 2, text: 'Two (2)' },
    ])
  })

  it('answers an ExtractionError for bytes that are no PDF', async () => {
    await expect(createExtractor()('pdf', Buffer.from('%PDF-1.4 nothing else'))).rejects.toThrow(ExtractionError)
  })

  it('kills a reader that passes its deadline', async () => {
    const slow = createExtractor({ timeoutMs: 1 })('pdf', minimalPdf(['late']))
    await expect(slow).rejects.toThrow(/took longer than/)
  })
})
