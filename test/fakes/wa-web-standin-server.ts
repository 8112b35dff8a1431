import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { proto } from 'baileys'
import type { QrSocketFactory } from '../../src/modules/channels/qr/socket.ts'
import { createStandinFactory, type Server, type StandinSocket } from './wa-web-standin.ts'

// The WhatsApp Web stand-in for a whole Camarad process (the e2e suite's QR numbers): `CAMARAD_WA_STANDIN=<dir>` makes
// `src/main.ts` connect QR numbers here instead of WhatsApp. What "WhatsApp" remembers (paired devices, pre-keys) is
// kept in `<dir>/server.json`, so a restarted Camarad finds its number still paired; the "phone" is a small HTTP
// server on loopback whose port is written to `<dir>/control.port`:
//   POST /scan     { qr, phone, lid }          the phone scans the QR it was shown (the socket showing it pairs)
//   POST /receive  { phone, from, name, text } a customer writes to the number `phone`
//   GET  /sockets                              every socket so far: its QRs, whether it ended, its account
// Test-only: the stand-in module refuses to load when NODE_ENV=production.

type Saved = { preKeys: [string, number[]][]; paired: [string, string][] }

export const standinFromDir = async (dir: string): Promise<QrSocketFactory> => {
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
              message: proto.Message.fromObject({ conversation: input.text }),
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
  writeFileSync(join(dir, 'control.port'), String((control.address() as AddressInfo).port))
  return standin.factory
}
