import { describe, expect, it } from 'vitest'
import { minimalPdf } from '../../../test/fixtures/knowledge-documents.ts'
import { sniffKind } from './sniff.ts'

describe('sniffKind', () => {
  it('knows a PDF and a Word file by their bytes, whatever their name', () => {
    expect(sniffKind(minimalPdf(['x']), 'notes.txt')).toBe('pdf')
    const docx = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(30), Buffer.from('word/document.xml')])
    expect(sniffKind(docx, 'a.pdf')).toBe('docx')
  })

  it('takes UTF-8 text as Markdown or text by its extension only', () => {
    expect(sniffKind(Buffer.from('# Title\n\nȘtiri și prețuri'), 'a.md')).toBe('markdown')
    expect(sniffKind(Buffer.from('# Title'), 'a.pdf')).toBe('text')
    expect(sniffKind(Buffer.from('Quoting %PDF-1.4 in a note'), 'a.txt')).toBe('text')
  })

  it('refuses other zips, binaries and invalid UTF-8', () => {
    expect(sniffKind(Buffer.from('PK\x03\x04xl/workbook.xml'), 'a.docx')).toBeNull()
    expect(sniffKind(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'a.txt')).toBeNull()
    expect(sniffKind(Buffer.from([0x61, 0xc3, 0x28]), 'a.txt')).toBeNull()
  })
})
