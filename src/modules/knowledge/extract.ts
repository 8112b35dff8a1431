import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { KnowledgeKind } from '../../../contracts/knowledge.ts'
import type { ExtractResponse, Section } from './extract.protocol.ts'

export type { Section } from './extract.protocol.ts'

const WORKER_PATH = fileURLToPath(new URL('./extract.worker.ts', import.meta.url))

/** Why a document could not be read, in words for its owner (stored on the document as `error`). */
export class ExtractionError extends Error {}

export type Extractor = (kind: KnowledgeKind, bytes: Buffer) => Promise<{ title: string; sections: Section[] }>

/**
 * Reads a document's text in a child process of its own, never on the server's event loop: a malformed or hostile
 * PDF (pdf.js can spin or allocate without bound on one) costs that process only. It gets an empty environment (no
 * secret in reach), a heap cap, and a deadline after which it is killed; whatever goes wrong is an `ExtractionError`
 * whose message is stored on the document. One process per document: uploads are rare, isolation is worth ~100 ms.
 */
export const createExtractor =
  (opts: { timeoutMs?: number; memoryMb?: number } = {}): Extractor =>
  (kind, bytes) => {
    const timeoutMs = opts.timeoutMs ?? 60_000
    return new Promise((resolve, reject) => {
      const child = fork(WORKER_PATH, [], {
        execArgv: [`--max-old-space-size=${opts.memoryMb ?? 256}`],
        env: {},
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      })
      let settled = false
      const settle = (fn: () => void) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        fn()
      }
      const timer = setTimeout(() => {
        settle(() => reject(new ExtractionError(`Reading the document took longer than ${timeoutMs / 1000} s.`)))
        child.kill('SIGKILL')
      }, timeoutMs)
      child.on('message', (response: ExtractResponse) =>
        settle(() =>
          response.ok
            ? resolve({ title: response.title, sections: response.sections })
            : reject(new ExtractionError(`The document could not be read: ${response.error.slice(0, 300)}`)),
        ),
      )
      child.on('error', (error) => settle(() => reject(new ExtractionError(`The reader failed: ${error.message}`))))
      child.on('exit', (code, signal) =>
        settle(() =>
          reject(
            new ExtractionError(
              `The reader stopped before finishing (${signal ?? `exit code ${code}`}): the document may be too ` +
                'large or malformed.',
            ),
          ),
        ),
      )
      child.send({ kind, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
    })
  }
