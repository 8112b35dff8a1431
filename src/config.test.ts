import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, Env, loadConfig } from './config.ts'

describe('config', () => {
  it('documents every setting in .env.example', () => {
    const example = readFileSync(join(import.meta.dirname, '..', '.env.example'), 'utf8')
    const missing = Object.keys(Env.shape).filter((k) => !example.includes(`${k}=`))
    expect(missing).toEqual([])
  })

  it('refuses to start in production without a strong SECRET_KEY', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError)
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'short' })).toThrow(/SECRET_KEY/)
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'a'.repeat(40) })).toThrow(/SECRET_KEY/)
    expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'Zx8#kq2LmP0vR7tY1wE4uI9oA6sD3fG5hJ' }).isProduction).toBe(true)
  })

  it('generates the embedded SECRET_KEY once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camarad-config-'))
    const first = loadConfig({ DATA_DIR: dir }).secretKey
    expect(first.length).toBeGreaterThanOrEqual(32)
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first)
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(first)
  })

  it('lists every invalid setting at once', () => {
    expect(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'not a url', SECRET_KEY: 'x'.repeat(40) })).toThrow(/PORT[\s\S]*DATABASE_URL/)
  })

  it('defaults PORT to 3000 and PUBLIC_URL to localhost', () => {
    const c = loadConfig({ SECRET_KEY: 'k'.repeat(40) })
    expect(c.PORT).toBe(3000)
    expect(c.publicUrl).toBe('http://localhost:3000')
  })
})
