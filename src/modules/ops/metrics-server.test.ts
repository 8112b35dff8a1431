import { Counter, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { startMetricsServer } from './metrics-server.ts'

const TOKEN = 'operator-token-0123456789-abcdefgh'

describe('worker metrics server (METRICS_PORT)', () => {
  let server: Awaited<ReturnType<typeof startMetricsServer>> | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })
  const start = async (internalToken?: string) => {
    const registry = new Registry()
    new Counter({ name: 'camarad_test_things_total', help: 'things', registers: [registry] }).inc(3)
    server = await startMetricsServer({ registry, port: 0, host: '127.0.0.1', internalToken })
    return `http://127.0.0.1:${server.port}`
  }

  it('serves the registry on GET /metrics in the Prometheus format', async () => {
    const res = await fetch(`${await start()}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toContain('camarad_test_things_total 3')
  })

  it('wants the operator token when one is set, as X-Internal-Token or a Bearer token', async () => {
    const url = `${await start(TOKEN)}/metrics`
    const refused = await fetch(url)
    expect(refused.status).toBe(401)
    expect((await refused.json()).error.code).toBe('ops.internal_token_required')
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789-abcdef' } })).status).toBe(401)
    expect((await fetch(url, { headers: { 'x-internal-token': TOKEN } })).status).toBe(200)
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
  })

  it('answers 404 for anything but GET /metrics', async () => {
    const base = await start()
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404)
  })
})
