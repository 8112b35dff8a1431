import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Page } from 'playwright-core'
import { openPage, type Scenario } from './scenarios.ts'

/** The shared cluster: this scenario creates its own database there and drops it at the end. */
const ADMIN_URL = process.env.E2E_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

type Start = (dataDir: string, env: Record<string, string>) => Promise<{ baseUrl: string; server: ChildProcess }>
type WaitReady = (url: string, server: ChildProcess) => Promise<void>

/** Reloads the page until `selector` shows (the server caches the status a few seconds; no fixed wait). */
const reloadUntil = async (page: Page, selector: string, what: string) => {
  for (let i = 0; i < 60; i++) {
    await page.reload()
    await page.getByRole('heading', { name: 'Components' }).waitFor()
    if (await page.locator(selector).count()) return
    await new Promise((r) => setTimeout(r, 1000))
  }
  assert.fail(`the status page never showed ${what}`)
}

/**
 * The public status page against a real PostgreSQL database made unreachable for real: a Camarad server of its own on
 * a fresh database, which an admin connection then closes to new connections and empties of its sessions.
 */
export const statusScenarios = ({ startServer, waitReady }: { startServer: Start; waitReady: WaitReady }) => {
  const scenario: Scenario = {
    name:
      'status: /status linked from the footer, all operational on PostgreSQL; the database refusing connections → ' +
      'Database down and a major outage; connections allowed again → operational; an incident the operator posts ' +
      'shows with its timeline; 390 px',
    async run(ctx) {
      const name = `camarad_e2e_status_${randomBytes(4).toString('hex')}`
      const admin = new pg.Client({ connectionString: ADMIN_URL })
      await admin.connect()
      const dataDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-status-'))
      let server: ChildProcess | undefined
      try {
        await admin.query(`CREATE DATABASE ${name}`)
        const url = new URL(ADMIN_URL)
        url.pathname = `/${name}`
        const started = await startServer(dataDir, {
          DATABASE_URL: url.toString(),
          INTERNAL_TOKEN: ctx.internalToken ?? '',
        })
        server = started.server
        await waitReady(started.baseUrl, started.server)
        const { page, assertNoErrors } = await openPage({ ...ctx, baseUrl: started.baseUrl })

        await page.goto('/')
        await page.locator('footer').getByRole('link', { name: 'Status' }).click()
        await page.waitForURL('**/status')
        await page.getByRole('heading', { name: 'Status', level: 1 }).waitFor()
        // The worker in process beats as it starts; the first visit may come before the first beat is read.
        await reloadUntil(page, '[role="status"][data-state="operational"]', 'all operational')
        await page.getByText('All systems operational').waitFor()
        for (const key of ['api', 'workers', 'database', 'queue'])
          assert.equal(await page.locator(`[data-component="${key}"]`).getAttribute('data-state'), 'operational', key)
        assert.equal(await page.locator('[data-component="stripe"]').getAttribute('data-state'), 'not_configured')
        await page.getByText('No incidents in the last 7 days.').waitFor()
        await page.screenshot({ path: ctx.shot('status-01-operational'), fullPage: true })

        // The database stops accepting connections and its sessions are ended: the server's pools lose theirs.
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name])
        await reloadUntil(page, '[data-component="database"][data-state="down"]', 'Database down')
        await page.locator('[role="status"][data-state="down"]').getByText('Major outage').waitFor()
        await page.locator('[data-component="database"]').getByText('Down').waitFor()
        await page.screenshot({ path: ctx.shot('status-02-database-down'), fullPage: true })

        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
        await reloadUntil(page, '[role="status"][data-state="operational"]', 'operational again')
        assert.equal(await page.locator('[data-component="database"]').getAttribute('data-state'), 'operational')

        const op = { 'x-internal-token': ctx.internalToken ?? '', 'content-type': 'application/json' }
        const posted = await page.request.post('/api/operator/incidents', {
          headers: op,
          data: { title: 'Database unreachable', impact: 'major', message: 'The database refused connections.' },
        })
        assert.equal(posted.status(), 201, await posted.text())
        const { id } = (await posted.json()) as { id: string }
        const resolved = await page.request.post(`/api/operator/incidents/${id}/updates`, {
          headers: op,
          data: { status: 'resolved', message: 'Connections are allowed again; everything is back.' },
        })
        assert.equal(resolved.status(), 201, await resolved.text())
        await page.reload()
        const incident = page.locator(`[data-incident="${id}"]`)
        await incident.getByRole('heading', { name: 'Database unreachable' }).waitFor()
        await incident.getByText('Connections are allowed again; everything is back.').waitFor()
        await incident.getByText('The database refused connections.').waitFor()
        assert.equal(await incident.locator('ol > li').count(), 2)
        await page.screenshot({ path: ctx.shot('status-03-incident'), fullPage: true })

        await page.setViewportSize({ width: 390, height: 844 })
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        assert.ok(overflow <= 0, `no horizontal scroll at 390 px (${overflow} px)`)
        await page.screenshot({ path: ctx.shot('status-04-mobile'), fullPage: true })
        assertNoErrors()
        await page.context().close()
      } finally {
        if (server && server.exitCode === null) {
          server.kill('SIGTERM')
          await new Promise((r) => server!.once('exit', r))
        }
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined)
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined)
        await admin.end()
        rmSync(dataDir, { recursive: true, force: true })
      }
    },
  }
  return [scenario]
}
