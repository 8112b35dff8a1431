import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { onboard, type Scenario } from './scenarios.ts'

/**
 * A QR number as an agency pairs it: added on the Numbers page, its QR shown in the dialog, "scanned" by the phone of
 * the WhatsApp Web stand-in (run.ts starts this server with CAMARAD_WA_STANDIN), connected; a customer's message
 * reaches the inbox; the server restarts and the number comes back connected without a new QR.
 */
const PHONE = '40700000077'
const LID = '66655544433322'

/** The stand-in's "phone" (a loopback control server: see test/fakes/wa-web-standin-server.ts). */
const phone = (standinDir: string) => {
  const url = () => `http://127.0.0.1:${readFileSync(join(standinDir, 'control.port'), 'utf8').trim()}`
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url()}${path}`, { method: 'POST', body: JSON.stringify(body) })
    assert.equal(res.status, 200, `${path}: ${await res.text()}`)
  }
  return {
    scan: (qr: string) => post('/scan', { qr, phone: PHONE, lid: LID }),
    receive: (from: string, name: string, text: string) => post('/receive', { phone: PHONE, from, name, text }),
    /** A photo with a caption, encrypted by Baileys and kept on the stand-in's media host. */
    receivePhoto: (from: string, name: string, image: Buffer, caption: string) =>
      post('/receive', { phone: PHONE, from, name, text: caption, image: image.toString('base64'), mime: 'image/png' }),
    sockets: async () =>
      (await (await fetch(`${url()}/sockets`)).json()) as { qrs: number; ended: boolean; account: string | null }[],
  }
}

/** A 48×48 PNG of one colour (a contact's photo): signature, IHDR, one IDAT of deflated rows, IEND. */
const solidPng = (rgb: [number, number, number], size = 48) => {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (b: Buffer) => {
    let c = 0xffffffff
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data])
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc(body), 8 + data.length)
    return out
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => rgb).flat())])
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: size }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const scopeOf = async (page: Page) => {
  const status = (await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }
  const workspaceId = status.workspaces[0]!.id
  const clients = (await (
    await page.request.get('/api/clients', { headers: { 'x-workspace-id': workspaceId } })
  ).json()) as { items: { id: string }[] }
  return { workspaceId, clientId: clients.items[0]!.id }
}

export const qrScenarios = ({
  standinDir,
  restart,
}: {
  standinDir: string
  /** Stops the server (SIGTERM) and starts it again on the same address and data. */
  restart: () => Promise<void>
}): Scenario[] => [
  {
    name: 'qr: add a QR number → the dialog shows its QR → the phone scans it → connected; a message arrives; after a restart it is still connected, no new QR',
    async run(ctx) {
      const { page, context } = await onboard(ctx, 'QR Agency', 'Cafenea Luna')
      const { clientId } = await scopeOf(page)
      await page.goto('/app/numbers')
      await page.getByRole('button', { name: 'Add number' }).first().click()
      await page.getByText('Scan a QR code (WhatsApp Web)').click()
      await page.getByLabel('Name').fill('Reception')
      await page.getByRole('dialog').getByRole('button', { name: /^Add/ }).click()

      // The QR dialog draws the code the server's session shows (a new one about every 20 s).
      const dialog = page.getByRole('dialog', { name: 'Pair Reception' })
      await dialog.getByTestId('qr-image').waitFor()
      await page.screenshot({ path: ctx.shot('96-qr-dialog') })
      const channels = (await (
        await page.request.get('/api/channels', { headers: { 'x-client-id': clientId } })
      ).json()) as { items: { id: string }[] }
      const channelId = channels.items[0]!.id
      const qr = (await (
        await page.request.get(`/api/channels/${channelId}/qr`, { headers: { 'x-client-id': clientId } })
      ).json()) as { qr: string | null }
      assert.ok(qr.qr, 'the API shows the QR the dialog draws')

      const p = phone(standinDir)
      await p.scan(qr.qr)
      await dialog.waitFor({ state: 'detached' })
      await page.getByText('Reception is connected').waitFor()
      const card = page.getByRole('article', { name: 'Reception' })
      await card
        .getByText(/Connected/)
        .first()
        .waitFor()
      await card.getByText(`+${PHONE}`, { exact: false }).first().waitFor()

      // A customer writes: the conversation is in the inbox.
      await p.receive('40711122233', 'Ioana', 'Bună ziua! Aveți masă liberă diseară?')
      await page.goto('/app/inbox')
      await page.getByText('Aveți masă liberă diseară?').first().waitFor()

      // They send a photo: the message shows at once, the file follows (fetched from WhatsApp's media host,
      // decrypted, stored with the message) and is drawn in the conversation.
      await p.receivePhoto('40711122233', 'Ioana', solidPng([16, 185, 129]), 'Masa de lângă geam')
      await page.getByRole('link', { name: 'Ioana' }).first().click()
      const photo = page.getByRole('img', { name: 'Masa de lângă geam' })
      await photo.waitFor()
      await page.waitForFunction(() =>
        [...document.querySelectorAll('img')].some((i) => i.alt === 'Masa de lângă geam' && i.naturalWidth === 48),
      )
      await page.screenshot({ path: ctx.shot('96b-qr-photo-received') })

      // The server restarts: the number reconnects from its stored keys, without a QR. The restarted process has a
      // stand-in of its own (a new control port): every socket it opened showed no QR.
      const port = readFileSync(join(standinDir, 'control.port'), 'utf8')
      await restart()
      await page.goto('/app/numbers')
      await page
        .getByRole('article', { name: 'Reception' })
        .getByText(/Connected/)
        .first()
        .waitFor()
      let sockets: Awaited<ReturnType<typeof p.sockets>> = []
      for (let i = 0; i < 100; i++) {
        if (readFileSync(join(standinDir, 'control.port'), 'utf8') !== port) {
          sockets = await p.sockets()
          if (sockets.some((s) => s.account === PHONE && !s.ended)) break
        }
        await new Promise((r) => setTimeout(r, 200))
      }
      assert.ok(
        sockets.some((s) => s.account === PHONE && !s.ended),
        'the restarted server connected the number again',
      )
      assert.deepEqual(
        sockets.map((s) => s.qrs),
        sockets.map(() => 0),
        'no new QR after the restart',
      )
      await page.screenshot({ path: ctx.shot('97-qr-connected-after-restart') })
      await page.setViewportSize({ width: 390, height: 844 })
      await page.screenshot({ path: ctx.shot('98-qr-numbers-mobile') })
      await context.close()
    },
  },
]
