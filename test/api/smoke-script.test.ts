import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../harness.ts'

/** `npm run smoke -- <url>` (issue 15 §10) as a child process against a listening test server, and a broken one. */
const ROOT = resolve(import.meta.dirname, '../..')
let ctx: TestContext
let url: string
let broken: Server
let brokenUrl: string

beforeAll(async () => {
  // A stand-in for the built web app: the server answers its pages with index.html, as in production.
  const dist = join(tmpdir(), `camarad-smoke-web-${process.pid}`)
  mkdirSync(dist, { recursive: true })
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><html><head><title>Camarad</title></head><body></body></html>',
  )
  ctx = await createTestContext({ WEB_DIST_DIR: dist, PLANS_FILE: 'config/plans.json' })
  url = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  // A server that answers everything with a cacheable 200 text: what a misrouted proxy looks like.
  broken = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'))
  await new Promise<void>((ok) => broken.listen(0, '127.0.0.1', ok))
  brokenUrl = `http://127.0.0.1:${(broken.address() as { port: number }).port}`
})
afterAll(async () => {
  await ctx?.close()
  await new Promise((ok) => broken?.close(ok))
})

const smoke = (args: string[]) =>
  new Promise<{ code: number | null; out: string }>((done) => {
    const child = spawn(process.execPath, ['scripts/smoke.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('close', (code) => done({ code, out }))
  })

describe('npm run smoke', () => {
  it('passes every check against a running server', async () => {
    const { code, out } = await smoke([url])
    expect(out).not.toContain('✗')
    for (const line of [
      '✓ GET /healthz answers 200',
      '✓ GET /readyz answers 200',
      '✓ the landing page (/) answers HTML',
      '✓ the pricing page (/pricing) answers HTML, and /api/plans its plans',
      '✓ the legal page /terms answers HTML, and its document',
      "✓ Google's callback without a state answers a readable no-store page (400 connectors.state_missing)",
      "✓ Google's callback with a forged state answers a readable no-store page (400 connectors.state_missing)",
      '✓ the public search answers built-in agents and templates only',
      '✓ the public search refuses a client parameter (400)',
      '✓ the in-app search refuses a caller without a session (401)',
    ])
      expect(out).toContain(line)
    expect(out).toMatch(/smoke: (\d+)\/\1 checks passed/)
    expect(code).toBe(0)
  })

  it('names each failed check and exits non-zero against a server that is not Camarad', async () => {
    const { code, out } = await smoke([brokenUrl])
    expect(out).toContain("✗ Google's callback without a state answers a readable no-store page — Cache-Control: null")
    expect(out).toContain('✗ the landing page (/) answers HTML')
    expect(out).toMatch(/smoke: \d+\/\d+ checks passed/)
    expect(out).not.toMatch(/smoke: (\d+)\/\1 checks passed/)
    expect(code).toBe(1)
  })

  it('refuses a missing or non-http URL with its usage (exit 2)', async () => {
    const { code, out } = await smoke(['ftp://example.test'])
    expect(code).toBe(2)
    expect(out).toContain('usage: npm run smoke')
  })
})
