import { execFileSync } from 'node:child_process'
import { trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { isTracing, startTracing, stopTracing, withSpan } from './tracing.ts'

/**
 * Loads tracing.ts in a fresh Node process that records every module it resolves, calls `startTracing` with `env`,
 * and answers whether tracing is on and which OpenTelemetry SDK modules were loaded.
 */
const inChild = (env: Record<string, string>) => {
  const script = `
    import { registerHooks } from 'node:module'
    const loaded = []
    registerHooks({ resolve: (specifier, context, next) => { const r = next(specifier, context); loaded.push(r.url); return r } })
    const { startTracing, isTracing, stopTracing } = await import('./src/platform/observability/tracing.ts')
    const on = await startTracing(${JSON.stringify(env)}, 'camarad-api')
    const tracing = isTracing()
    await stopTracing()
    const names = loaded.map((u) => /node_modules\\/(@opentelemetry\\/(?:sdk|exporter)-[^/]+)/.exec(u)?.[1])
    const sdk = [...new Set(names.filter(Boolean))]
    console.log(JSON.stringify({ on, tracing, sdk: sdk.sort() }))
  `
  const out = execFileSync(process.execPath, ['--input-type=module', '--eval', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1' },
  })
  return JSON.parse(out.trim().split('\n').pop()!) as { on: boolean; tracing: boolean; sdk: string[] }
}

describe('tracing switched off', () => {
  it('loads no SDK when OTEL_EXPORTER_OTLP_ENDPOINT is unset', () => {
    expect(inChild({})).toEqual({ on: false, tracing: false, sdk: [] })
  })

  it('loads the SDK and the OTLP exporter only when the endpoint is set', () => {
    const started = inChild({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })
    expect(started).toMatchObject({ on: true, tracing: true })
    expect(started.sdk).toEqual(
      expect.arrayContaining(['@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/sdk-node']),
    )
  })

  it('registers nothing globally and runs spans’ work as is', async () => {
    expect(await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined }, 'camarad-api')).toBe(false)
    expect(isTracing()).toBe(false)
    const provider = trace.getTracerProvider() as unknown as { getDelegate(): object }
    expect(provider.getDelegate().constructor.name).toBe('NoopTracerProvider')
    expect(await withSpan('work', {}, async (span) => span.isRecording())).toBe(false)
    await stopTracing()
  })
})
