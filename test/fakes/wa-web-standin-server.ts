import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile, unlink } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { encryptedStream, proto } from 'baileys'
import type { QrSocketFactory } from '../../src/modules/channels/qr/socket.ts'
import { createStandinFactory, type Server, type StandinSocket } from './wa-web-standin.ts'

// The WhatsApp Web stand-in for a whole Camarad process (the e2e suite's QR numbers): `CAMARAD_WA_STANDIN=<dir>` makes
// `src/main.ts` connect QR numbers here instead of WhatsApp. What "WhatsApp" remembers (paired devices, pre-keys) is
// kept in `<dir>/server.json`, so a restarted Camarad finds its number still paired; the "phone" is a small HTTP
// server on loopback whose port is written to `<dir>/control.port`:
//   POST /scan     { qr, phone, lid }          the phone scans the QR it was shown (the socket showing it pairs)
//   POST /receive  { phone, from, name, text } a customer writes to the number `phone`; with `image` (base64) and
//                                              `mime`, they send a photo (`text` its caption), encrypted by Baileys
//   GET  /sockets                              every socket so far: its QRs, whether it ended, its account
//   GET  /v/…                                  WhatsApp's media host: the encrypted files sent so far
// Test-only: the stand-in module refuses to load when NODE_ENV=production.

type Saved = { preKeys: [string, number[]][]; paired: [string, string][] }

export const standinFromDir = async (dir: string): Promise<{ factory: QrSocketFactory; mediaOrigin: string }> => {
  /** Encrypted media files by direct path, as WhatsApp's media host serves them. */
  const media = new Map<string, Buffer>()
  /** A photo as a phone sends it: Baileys encrypts it, the file goes to the media host, the message carries the key. */
  const photo = async (image: Buffer, mime: string, caption: string | undefined) => {
    const enc = await encryptedStream(image, 'image')
    const directPath = `/v/t62.7118-24/${randomBytes(8).toString('hex')}.enc?ccb=11-4`
    media.set(directPath, await readFile(enc.encFilePath))
    await unlink(enc.encFilePath)
    return {
      imageMessage: {
        url: `https://mmg.whatsapp.net${directPath}`,
        directPath,
        mimetype: mime,
        caption: caption ?? '',
        mediaKey: enc.mediaKey,
        fileEncSha256: enc.fileEncSha256,
        fileSha256: enc.fileSha256,
        fileLength: enc.fileLength,
      },
    }
  }
  const file = join(dir, 'server.json')
  const saved: Saved = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { preKeys: [], paired: [] }
  const server: Server = { preKeys: new Map(saved.preKeys), paired: new Map(saved.paired) }
  const standin = createStandinFactory({
    server,
    changed: () =>
      writeFileSync(file, JSON.stringify({ preKeys: [...server.preKeys], paired: [...server.paired] } satisfies Saved)),
  })
  const open = () => standin.sockets.filter((s) => !s.ended)
  const accountOf = (s: StandinSocket) => s.user?.id.split(':')[0]?.split('@')[0] ?? null

  const control = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      void (async () => {
        if (req.method === 'GET' && req.url?.startsWith('/v/')) {
          const file = media.get(req.url)
          if (!file || req.headers.origin !== 'https://web.whatsapp.com') return void res.writeHead(404).end()
          return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file)
        }
        const input = body ? (JSON.parse(body) as Record<string, string>) : {}
        if (req.method === 'GET' && req.url === '/sockets')
          return answer(
            200,
            standin.sockets.map((s) => ({ qrs: s.qrs.length, ended: s.ended, account: accountOf(s) })),
          )
        if (req.method === 'POST' && req.url === '/scan') {
          const s = open().find((x) => x.qrs.includes(input.qr ?? ''))
          if (!s) return answer(404, { error: 'No socket shows this QR.' })
          s.scan({ phone: input.phone!, lid: input.lid! })
          return answer(200, { scanned: true })
        }
        if (req.method === 'POST' && req.url === '/receive') {
          const s = open().find((x) => accountOf(x) === input.phone)
          if (!s) return answer(404, { error: 'This number is not connected.' })
          await s.settled
          const id = `E2E${Date.now().toString(16).toUpperCase()}`
          const result = await s.receive([
            {
              key: { remoteJid: `${input.from}@s.whatsapp.net`, fromMe: false, id },
              message: proto.Message.fromObject(
                input.image
                  ? await photo(Buffer.from(input.image, 'base64'), input.mime ?? 'image/png', input.text)
                  : { conversation: input.text },
              ),
              messageTimestamp: Math.floor(Date.now() / 1000),
              pushName: input.name ?? null,
            },
          ])
          return answer(200, result)
        }
        answer(404, { error: 'No such control route.' })
      })().catch((err: unknown) => answer(500, { error: String(err) }))
    })
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  control.unref()
  const port = (control.address() as AddressInfo).port
  writeFileSync(join(dir, 'control.port'), String(port))
  return { factory: standin.factory, mediaOrigin: `http://127.0.0.1:${port}` }
}
