import mammoth from 'mammoth'
import { extractText, getDocumentProxy } from 'unpdf'
import type { ExtractRequest, ExtractResponse, Section } from './extract.protocol.ts'
import { htmlSections } from './html.ts'

/**
 * The text reader, in a child process of its own (see extract.ts): PDF through unpdf (pdf.js), DOCX through mammoth,
 * HTML through htmlparser2, text as UTF-8. It reads one document, answers once and exits.
 */
const read = async ({ kind, bytes }: ExtractRequest): Promise<{ title: string; sections: Section[] }> => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (kind) {
    case 'pdf': {
      const pdf = await getDocumentProxy(new Uint8Array(buffer), { verbosity: 0 })
      const { text } = await extractText(pdf, { mergePages: false })
      return { title: '', sections: text.map((t, i) => ({ page: i + 1, text: t })) }
    }
    case 'docx':
      return { title: '', sections: [{ page: null, text: (await mammoth.extractRawText({ buffer })).value }] }
    case 'web':
      return htmlSections(buffer.toString('utf8'))
    default:
      return { title: '', sections: [{ page: null, text: buffer.toString('utf8') }] }
  }
}

process.once('message', (request: ExtractRequest) => {
  read(request)
    .then(
      (r): ExtractResponse => ({ ok: true, ...r }),
      (error: unknown): ExtractResponse => ({
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
    )
    .then((response) => process.send!(response, () => process.exit(0)))
})
