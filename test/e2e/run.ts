import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { scenarios } from './scenarios.ts'

/**
 * Browser tests: starts Camarad exactly as `npm start` does (fresh PGlite data dir, random port), drives the
 * system Chromium through playwright-core, saves screenshots to test-results/e2e/, and prints
 * `e2e: N passed, M failed`.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = resolve('test-results/e2e')

const freePort = () => new Promise<number>((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number }
    s.close(() => ok(port))
  })
})

const waitReady = async (url: string, server: ChildProcess) => {
  for (let i = 0; i < 240; i++) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`)
    try { if ((await fetch(`${url}/readyz`)).ok) return } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error('server did not become ready in 120 s')
}

const main = async () => {
  mkdirSync(SHOTS, { recursive: true })
  const dataDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-'))
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const server = spawn(process.execPath, ['scripts/start.ts'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, PUBLIC_URL: baseUrl, LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  let browser: Browser | undefined
  let passed = 0
  let failed = 0
  try {
    await waitReady(baseUrl, server)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    })
    for (const scenario of scenarios) {
      const started = Date.now()
      try {
        await scenario.run({ browser, baseUrl, shot: (name) => join(SHOTS, `${name}.png`) })
        passed++
        console.log(`  ✓ ${scenario.name} (${Date.now() - started} ms)`)
      } catch (err) {
        failed++
        console.log(`  ✗ ${scenario.name}\n    ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
      }
    }
  } catch (err) {
    failed++
    console.log(`  ✗ setup: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    await browser?.close()
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r).once('error', r))
    rmSync(dataDir, { recursive: true, force: true })
  }
  console.log(`screenshots: ${SHOTS}`)
  console.log(`e2e: ${passed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
}

await main()
