import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { startBanner } from './banner.ts'
import { prettyStream } from './platform/observability/logger.ts'

const base = {
  url: 'http://localhost:3000',
  config: { DATABASE_URL: undefined, DATA_DIR: './data', RUN_WORKER: true, LOG_FORMAT: 'auto' as const },
  knowledge: { available: false as const, reason: 'pgvector is not installed' },
  tty: true,
}

describe('the start banner', () => {
  it('says where the data lives and how to add a provider when none is configured', () => {
    const text = startBanner({ ...base, catalog: [{ provider: 'offline', offline: true }] })
    expect(text).toContain('Camarad is running: http://localhost:3000')
    expect(text).toContain('PGlite in ./data/pglite')
    expect(text).toContain('offline demo model')
    expect(text).toContain('OPENAI_API_KEY or ANTHROPIC_API_KEY')
    expect(text).toContain('full-text search (pgvector is not installed)')
    expect(text).toContain('readable lines here')
  })

  it('names the configured providers, and never prints a database password', () => {
    const text = startBanner({
      ...base,
      config: {
        ...base.config,
        DATABASE_URL: 'postgres://camarad:s3cret-pw@db.internal:5432/camarad',
        RUN_WORKER: false,
      },
      catalog: [
        { provider: 'openai', offline: false },
        { provider: 'openai', offline: false },
        { provider: 'anthropic', offline: false },
        { provider: 'offline', offline: true },
      ],
      knowledge: { available: true, version: '0.8.0' },
      tty: false,
    })
    expect(text).toContain('OpenAI (2 models), Anthropic (1 model)')
    expect(text).not.toContain('s3cret-pw')
    expect(text).toContain('PostgreSQL at postgres://camarad@db.internal:5432/camarad')
    expect(text).toContain('npm run worker')
    expect(text).toContain('pgvector 0.8.0')
    expect(text).toContain('JSON lines')
  })
})

describe('readable logs', () => {
  it('write a request as one line: method, path, status and duration, no JSON', () => {
    let out = ''
    const sink = new Writable({
      write(chunk, _enc, done) {
        out += String(chunk)
        done()
      },
    })
    const stream = prettyStream(false, sink)
    const log = pino({ level: 'info' }, stream)
    log.info(
      { reqId: 'r1', method: 'GET', route: '/api/clients/:id', path: '/api/clients/cl_1', status: 200, ms: 3.1 },
      'request',
    )
    log.warn('disk almost full')
    expect(out).toContain('INFO: request GET /api/clients/cl_1 → 200 in 3.1 ms')
    expect(out).toContain('WARN: disk almost full')
    expect(out).not.toContain('{')
    expect(out).not.toContain('r1')
  })
})
