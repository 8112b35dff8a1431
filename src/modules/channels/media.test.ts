import { createServer } from 'node:http'
import { readFile, unlink } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { encryptedStream } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGraphClient } from './cloud/graph.ts'
import { MediaFailure, type MediaSource } from './driver.ts'
import { createMediaFetcher } from './media.ts'

// A QR number's media: WhatsApp's media servers hold each file encrypted (AES-256-CBC, then a 10-byte MAC) under keys
// derived from the message's media key. The files here are encrypted by Baileys itself (`encryptedStream`, what a
// phone's upload does), served by a loopback stand-in of WhatsApp's media host, and opened by our fetcher.
describe('QR media download', () => {
  const files = new Map<string, Buffer>()
  let origin: string
  const server = createServer((req, res) => {
    if (req.headers.origin !== 'https://web.whatsapp.com') return void res.writeHead(403).end()
    const file = files.get(req.url ?? '')
    if (!file) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file)
  })
  beforeAll(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())))

  const fetcher = () =>
    createMediaFetcher({
      db: undefined as never,
      box: undefined as never,
      graph: createGraphClient(),
      qrOrigin: origin,
    })

  /** Uploads `plain` as a phone would: Baileys encrypts it; the stand-in serves it at a direct path. */
  const upload = async (plain: Buffer, mediaType: 'image' | 'audio' | 'document' = 'image') => {
    const enc = await encryptedStream(plain, mediaType)
    const file = await readFile(enc.encFilePath)
    await unlink(enc.encFilePath)
    const directPath = `/v/t62.7118-24/${files.size}_${Date.now()}.enc?ccb=11-4`
    files.set(directPath, file)
    return {
      provider: 'qr',
      mediaType,
      directPath,
      mediaKey: enc.mediaKey.toString('base64'),
      fileEncSha256: enc.fileEncSha256.toString('base64'),
      fileSha256: enc.fileSha256.toString('base64'),
    } satisfies MediaSource
  }
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(MediaFailure)
    return err as MediaFailure
  }

  it('downloads, checks and decrypts what Baileys encrypted, for every key type', async () => {
    for (const mediaType of ['image', 'audio', 'document'] as const) {
      const plain = Buffer.from(`%PDF-1.7 ${mediaType} `.repeat(1000))
      const source = await upload(plain, mediaType)
      const got = await fetcher().fetch('ch_any', source, 1024 * 1024)
      expect(got.data.equals(plain)).toBe(true)
    }
  })

  it('refuses a file whose MAC, encrypted hash or plain hash does not match (nothing is stored)', async () => {
    const plain = Buffer.from('a photo of the party venue '.repeat(50))
    const source = await upload(plain)
    const file = files.get(source.directPath)!
    // One flipped ciphertext bit: the MAC no longer matches (checked even without the hashes).
    const flipped = Buffer.from(file)
    flipped[20]! ^= 1
    files.set(source.directPath, flipped)
    expect((await failure(fetcher().fetch('c', { ...source, fileEncSha256: null }, 1 << 20))).code).toBe(
      'whatsapp.media_corrupt',
    )
    expect((await failure(fetcher().fetch('c', source, 1 << 20))).message).toMatch(/encrypted hash/)
    files.set(source.directPath, file)
    // The right file under another message's plain hash.
    const other = await upload(Buffer.from('something else'))
    const wrong = await failure(fetcher().fetch('c', { ...source, fileSha256: other.fileSha256 }, 1 << 20))
    expect(wrong.message).toMatch(/\(hash\)/)
    // A media key that is not the file's: the MAC fails first.
    const key = await failure(
      fetcher().fetch('c', { ...source, mediaKey: other.mediaKey, fileEncSha256: null }, 1 << 20),
    )
    expect(key.message).toMatch(/MAC/)
  })

  it('stops reading past the cap, and says an expired file is gone for good', async () => {
    const source = await upload(Buffer.alloc(64 * 1024, 7))
    const big = await failure(fetcher().fetch('c', source, 16 * 1024))
    expect(big).toMatchObject({ kind: 'too_large', code: 'inbox.media_too_large' })
    const gone = await failure(fetcher().fetch('c', { ...source, directPath: '/v/t62/expired.enc' }, 1 << 20))
    expect(gone).toMatchObject({ kind: 'failed', code: 'whatsapp.media_expired' })
  })

  it('fetches only from the media host: a direct path cannot name another host', async () => {
    const source = await upload(Buffer.from('x'))
    for (const directPath of ['//evil.example/x.enc', 'https://evil.example/x.enc', 'v/relative.enc']) {
      const err = await failure(fetcher().fetch('c', { ...source, directPath }, 1 << 20))
      expect(err).toMatchObject({ kind: 'failed', code: 'whatsapp.media_invalid' })
    }
  })

  it('retries later when the media host is unreachable', async () => {
    const source = await upload(Buffer.from('x'))
    const closed = createMediaFetcher({
      db: undefined as never,
      box: undefined as never,
      graph: createGraphClient(),
      qrOrigin: 'http://127.0.0.1:1',
    })
    expect(await failure(closed.fetch('c', source, 1 << 20))).toMatchObject({ kind: 'retry_later' })
  })
})
