import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { gitCommit } from '../measure.ts'

/**
 * bench/web: the first load of the landing page and of the app, in Chromium, from a cold cache — the JavaScript and
 * total bytes transferred, and the time until the page is usable (landing: its heading and sign-up link; app: the
 * main navigation of a signed-in user). The build measured is `WEB_DIST_DIR` (default web/dist: run `npm run build`
 * first), served by Camarad itself (PGlite, started here); `BENCH_LOADS` cold loads per page, medians reported.
 */
const DIST = resolve(process.env.WEB_DIST_DIR ?? 'web/dist')
const LOADS = Number(process.env.BENCH_LOADS ?? 9)
const PORT = Number(process.env.BENCH_PORT ?? 3931)
const base = `http://127.0.0.1:${PORT}`
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

const start = (env: Record<string, string>) =>
  new Promise<ChildProcess>((ok, fail) => {
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: { ...process.env, ...env, PORT: String(PORT) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout!.on('data', (d: Buffer) => {
      if (/running/i.test(d.toString())) ok(child)
    })
    child.once('exit', (code) => fail(new Error(`src/main.ts exited with ${code}`)))
  })

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

type Load = { jsBytes: number; totalBytes: number; scripts: number; usableMs: number }

/** One cold load: a fresh context (empty cache), the bytes the page fetched and when it became usable. */
const coldLoad = async (browser: Browser, path: string, ready: string, cookie?: string): Promise<Load> => {
  const context = await browser.newContext()
  if (cookie) {
    const [name, value] = cookie.split('=') as [string, string]
    await context.addCookies([{ name, value, url: base }])
  }
  const page = await context.newPage()
  try {
    await page.goto(base + path)
    await page.locator(ready).first().waitFor({ state: 'visible', timeout: 30_000 })
    const usableMs = await page.evaluate(() => performance.now())
    // Not 'networkidle': the signed-in app keeps its live alert stream open. Late chunks have a second to arrive.
    await page.waitForLoadState('load')
    await page.waitForTimeout(1000)
    const entries = await page.evaluate(() => [
      ...performance.getEntriesByType('navigation').map((e) => ({
        type: 'document',
        bytes: (e as PerformanceResourceTiming).transferSize,
      })),
      ...(performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({
        type: e.initiatorType === 'script' || /\.js($|\?)/.test(e.name) ? 'script' : e.initiatorType,
        bytes: e.transferSize,
      })),
    ])
    const scripts = entries.filter((e) => e.type === 'script')
    return {
      jsBytes: scripts.reduce((n, e) => n + e.bytes, 0),
      totalBytes: entries.reduce((n, e) => n + e.bytes, 0),
      scripts: scripts.length,
      usableMs,
    }
  } finally {
    await context.close()
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'camarad-bench-web-'))
let server: ChildProcess | undefined
let browser: Browser | undefined
try {
  server = await start({
    DATA_DIR: dataDir,
    WEB_DIST_DIR: DIST,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    RATE_LIMIT_PER_MINUTE: '100000',
    REDIS_URL: '',
    DATABASE_URL: '',
  })
  const post = async (path: string, body: unknown, cookie?: string) => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return res.headers.get('set-cookie')?.split(';')[0]
  }
  const cookie = await post('/api/auth/signup', {
    email: 'bench-web@example.test',
    password: 'first load passphrase 42',
    name: 'Bench',
  })
  await post('/api/auth/onboarding', { workspaceName: 'Bench Agency', clientName: 'Bench Client' }, cookie)

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: FLAGS })
  const pages: Record<string, { path: string; ready: string; cookie?: string | undefined }> = {
    landing: { path: '/', ready: 'main h1' },
    app: { path: '/app', ready: 'nav[aria-label="Main"]', cookie },
  }
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    dist: DIST,
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    loads: LOADS,
  }
  for (const [name, p] of Object.entries(pages)) {
    await coldLoad(browser, p.path, p.ready, p.cookie) // warm the server, not the browser
    const runs: Load[] = []
    for (let i = 0; i < LOADS; i++) runs.push(await coldLoad(browser, p.path, p.ready, p.cookie))
    const summary = {
      jsKiB: +(median(runs.map((r) => r.jsBytes)) / 1024).toFixed(1),
      totalKiB: +(median(runs.map((r) => r.totalBytes)) / 1024).toFixed(1),
      scripts: median(runs.map((r) => r.scripts)),
      usableMs: +median(runs.map((r) => r.usableMs)).toFixed(0),
    }
    result[name] = summary
    console.log(
      `${name.padEnd(8)} JS ${summary.jsKiB} KiB in ${summary.scripts} files, ${summary.totalKiB} KiB in all, ` +
        `usable after ${summary.usableMs} ms (median of ${LOADS} cold loads)`,
    )
  }
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/web.json', JSON.stringify(result, null, 2))
} finally {
  await browser?.close()
  server?.kill('SIGTERM')
  rmSync(dataDir, { recursive: true, force: true })
}
