import { KNOWLEDGE_MAX_BYTES } from '../../../contracts/knowledge.ts'
import { defineErrors } from '../../platform/http/errors.ts'

export const knowledgeErrors = defineErrors('knowledge', {
  document_not_found: { status: 404, message: 'No such knowledge document.' },
  file_too_large: {
    status: 413,
    when: `An uploaded file holds more than ${KNOWLEDGE_MAX_BYTES} bytes (once decoded from base64).`,
    message: (p: { bytes: number }) =>
      `The file has ${p.bytes} bytes; the knowledge base takes files up to ${KNOWLEDGE_MAX_BYTES} bytes (10 MB).`,
    details: (p) => ({ bytes: p.bytes, maxBytes: KNOWLEDGE_MAX_BYTES }),
  },
  unsupported_type: {
    status: 400,
    when: 'The bytes are not a PDF, a Word document (DOCX) or UTF-8 text (Markdown, plain text), whatever the name says.',
    message: 'This file is not a PDF, a Word document (.docx), Markdown or plain text.',
  },
  idempotency_key_reused: {
    status: 409,
    message: 'This Idempotency-Key was used for another upload: send a new key for a different document.',
  },
  empty_file: { status: 400, message: 'The file is empty.' },
  invalid_base64: { status: 400, message: 'contentBase64 is not valid base64.' },
  name_required: {
    status: 400,
    when: 'A file was sent as the raw request body without `?name=`.',
    message: 'Name the file with ?name= when sending its bytes as the body.',
  },
})
