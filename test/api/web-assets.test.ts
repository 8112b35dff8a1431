import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../harness.ts'

/** The built web app's assets are sent pre-compressed (brotli, else gzip) to browsers that accept it, raw otherwise. */
let ctx: TestContext
let dist: string
const script = `export const greeting = ${JSON.stringify('hello '.repeat(2000))}\n`

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'camarad-web-assets-'))
  mkdirSync(join(dist, 'assets'))
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><html><head><title>Camarad</title></head><body></body></html>',
  )
  writeFileSync(join(dist, 'assets', 'app-abc123.js'), script)
  writeFileSync(join(dist, 'assets', 'app-abc123.js.br'), brotliCompressSync(script))
  writeFileSync(join(dist, 'assets', 'app-abc123.js.gz'), gzipSync(script))
  ctx = await createTestContext({ WEB_DIST_DIR: dist })
})
afterAll(async () => {
  await ctx?.close()
  rmSync(dist, { recursive: true, force: true })
})

const get = (path: string, encoding?: string) =>
  ctx.app.inject({ method: 'GET', url: path, headers: encoding === undefined ? {} : { 'accept-encoding': encoding } })

describe('web assets', () => {
  it('are sent as brotli to a browser that accepts it, then gzip, then raw', async () => {
    const br = await get('/assets/app-abc123.js', 'gzip, deflate, br')
    expect(br.statusCode).toBe(200)
    expect(br.headers['content-encoding']).toBe('br')
    expect(br.headers['content-type']).toMatch(/javascript/)
    expect(br.headers.vary).toMatch(/accept-encoding/i)
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(script)
    expect(br.rawPayload.length).toBeLessThan(script.length / 10)

    const gz = await get('/assets/app-abc123.js', 'gzip')
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gz.rawPayload).toString()).toBe(script)

    const raw = await get('/assets/app-abc123.js')
    expect(raw.headers['content-encoding']).toBeUndefined()
    expect(raw.body).toBe(script)
  })

  it('still answers the app pages with index.html and unknown assets with 404', async () => {
    const page = await get('/app/chat', 'br')
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('<title>Camarad</title>')
    expect((await get('/assets/missing.js', 'br')).statusCode).toBe(404)
  })
})
