import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
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
    sockets: async () =>
      (await (await fetch(`${url()}/sockets`)).json()) as { qrs: number; ended: boolean; account: string | null }[],
  }
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
      await card.getByText(PHONE, { exact: false }).first().waitFor()

      // A customer writes: the conversation is in the inbox.
      await p.receive('40711122233', 'Ioana', 'Bună ziua! Aveți masă liberă diseară?')
      await page.goto('/app/inbox')
      await page.getByText('Aveți masă liberă diseară?').first().waitFor()

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
