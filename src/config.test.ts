import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, Env, envSetting, loadConfig } from './config.ts'

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
    expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'Zx8#kq2LmP0vR7tY1wE4uI9oA6sD3fG5hJ' }).isProduction).toBe(
      true,
    )
  })

  describe('refuses half a Stripe setup in production', () => {
    const prod = { NODE_ENV: 'production', SECRET_KEY: 'Zx8#kq2LmP0vR7tY1wE4uI9oA6sD3fG5hJ' }

    it('a webhook secret without a secret key (events could never be processed)', () => {
      expect(() => loadConfig({ ...prod, STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(ConfigError)
      expect(() => loadConfig({ ...prod, STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(
        /STRIPE_WEBHOOK_SECRET is set without STRIPE_SECRET_KEY/,
      )
    })

    it('a secret key without a webhook secret (no event could be received)', () => {
      expect(() => loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_live_x' })).toThrow(ConfigError)
      expect(() => loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_live_x' })).toThrow(
        /STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET/,
      )
    })

    it('but starts with both (billing on) or neither (self-hosted mode)', () => {
      expect(
        loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' }).billingEnabled,
      ).toBe(true)
      expect(loadConfig(prod).billingEnabled).toBe(false)
    })

    it('treats an empty value as unset', () => {
      expect(() => loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: '' })).toThrow(
        /without STRIPE_WEBHOOK_SECRET/,
      )
    })
  })

  describe('blank values are unset', () => {
    it('treats a value of only spaces as unset, for every optional setting', () => {
      const dir = mkdtempSync(join(tmpdir(), 'camarad-config-'))
      const blanks = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, '  ']))

      const config = loadConfig({ ...blanks, DATA_DIR: dir })

      expect(config.OPENAI_BASE_URL).toBeUndefined()
      expect(config.PORT).toBe(3000)
      expect(config.TRUST_PROXY).toBe(false)
    })

    it('reads blank settings as unset in the scripts that run before the app', () => {
      expect(envSetting('WEB_DIST_DIR', { WEB_DIST_DIR: '' })).toBeUndefined()
      expect(envSetting('WEB_DIST_DIR', { WEB_DIST_DIR: ' ' })).toBeUndefined()
      expect(envSetting('WEB_DIST_DIR', { WEB_DIST_DIR: './dist' })).toBe('./dist')
    })
  })

  describe('TRUST_PROXY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camarad-config-'))
    const trust = (v: string) => loadConfig({ DATA_DIR: dir, TRUST_PROXY: v }).TRUST_PROXY

    it('refuses true at boot, saying what to set instead', () => {
      expect(() => trust('true')).toThrow(ConfigError)
      expect(() => trust('true')).toThrow(/TRUST_PROXY: true is refused.*number of proxies.*CIDR/)
    })

    it('takes a hop count', () => {
      expect(trust('1')).toBe(1)
      expect(trust('0')).toBe(false)
      expect(() => trust('64')).toThrow(ConfigError)
    })

    it('takes a list of proxy addresses and CIDRs', () => {
      expect(trust('10.0.0.0/8, loopback,2001:db8::/32')).toEqual(['10.0.0.0/8', 'loopback', '2001:db8::/32'])
    })

    it('refuses a list with something that is no address', () => {
      expect(() => trust('10.0.0.0/8,*')).toThrow(/not a hop count nor proxy addresses/)
    })

    it('trusts no proxy when unset or false', () => {
      expect(loadConfig({ DATA_DIR: dir }).TRUST_PROXY).toBe(false)
      expect(trust('false')).toBe(false)
    })
  })

  it('generates the embedded SECRET_KEY once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camarad-config-'))
    const first = loadConfig({ DATA_DIR: dir }).secretKey
    expect(first.length).toBeGreaterThanOrEqual(32)
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first)
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(first)
  })

  it('lists every invalid setting at once', () => {
    expect(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'not a url', SECRET_KEY: 'x'.repeat(40) })).toThrow(
      /PORT[\s\S]*DATABASE_URL/,
    )
  })

  it('defaults PORT to 3000 and PUBLIC_URL to localhost', () => {
    const c = loadConfig({ SECRET_KEY: 'k'.repeat(40) })
    expect(c.PORT).toBe(3000)
    expect(c.publicUrl).toBe('http://localhost:3000')
  })
})
