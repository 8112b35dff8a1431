import type { KnowledgeKind } from '../../../contracts/knowledge.ts'

const PDF = Buffer.from('%PDF-')
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04])
/** Every Word document's zip holds this part; its name is stored uncompressed in the local and central headers. */
const WORD_PART = Buffer.from('word/document.xml')
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Text as the bytes spell it: strict UTF-8 (a BOM dropped), no NUL, few control characters; else null. */
export const asText = (bytes: Buffer): string | null => {
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    return null
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.includes('\u0000')) return null
  // eslint-disable-next-line no-control-regex
  const controls = text.slice(0, 64 * 1024).match(/[\u0001-\u0008\u000e-\u001f]/g)?.length ?? 0
  return controls > 8 ? null : text
}

/**
 * What a file is, from its bytes (never its name or declared type): a PDF starts with `%PDF-` (a binary file may have it
 * within its first KB, as readers allow), a DOCX is a zip holding `word/document.xml`, and strict UTF-8 text is Markdown when its name ends in
 * .md/.markdown, else plain text. Anything else is null.
 */
export const sniffKind = (bytes: Buffer, name: string): Exclude<KnowledgeKind, 'web'> | null => {
  const pdfAt = bytes.subarray(0, 1024).indexOf(PDF)
  // A header a little way in is still a PDF (readers allow it); text that merely quotes "%PDF-" is not.
  if (pdfAt === 0 || (pdfAt > 0 && asText(bytes) === null)) return 'pdf'
  if (bytes.subarray(0, 4).equals(ZIP)) return bytes.includes(WORD_PART) ? 'docx' : null
  if (asText(bytes) === null) return null
  return /\.(md|markdown)$/i.test(name) ? 'markdown' : 'text'
}
