import { describe, expect, it } from 'vitest'
import type { ComponentKey } from '../../../contracts/status.ts'
import { overallState, runChecks } from './status.checks.ts'
import { createStatusReader } from './status.routes.ts'

type Checks = Parameters<typeof runChecks>[0]
const ok = async () => ({ state: 'operational' as const, message: 'Fine.' })
const all = (over: Partial<Checks> = {}): Checks => ({
  api: ok,
  workers: ok,
  database: ok,
  queue: ok,
  whatsapp: ok,
  stripe: ok,
  ...over,
})

describe('status checks', () => {
  it('the overall state is the worst configured component', () => {
    expect(overallState([{ state: 'operational' }, { state: 'not_configured' }])).toBe('operational')
    expect(overallState([{ state: 'degraded' }, { state: 'operational' }])).toBe('degraded')
    expect(overallState([{ state: 'degraded' }, { state: 'down' }, { state: 'not_configured' }])).toBe('down')
  })

  it('a check that throws or outlives its deadline is down, with a plain message and the error to the log only', async () => {
    const logged: ComponentKey[] = []
    const components = await runChecks(
      all({
        database: async () => {
          throw new Error('connection refused at 10.0.0.5:5432')
        },
        queue: () => new Promise(() => undefined),
      }),
      { timeoutMs: 20, onError: (key) => logged.push(key) },
    )
    expect(components.find((c) => c.key === 'database')).toMatchObject({ state: 'down', message: 'Not responding.' })
    expect(components.find((c) => c.key === 'queue')!.state).toBe('down')
    expect(JSON.stringify(components)).not.toContain('10.0.0.5')
    expect(logged.sort()).toEqual(['database', 'queue'])
  })

  it('the reader computes once for concurrent visitors and again after an invalidation', async () => {
    let runs = 0
    const reader = createStatusReader({
      checks: all({
        api: async () => {
          runs++
          return { state: 'operational', message: 'Fine.' }
        },
      }),
      incidents: { shown: async () => [] },
      cacheMs: 60_000,
    })
    await Promise.all([reader.read(), reader.read(), reader.read()])
    await reader.read()
    expect(runs).toBe(1)
    reader.invalidate()
    await reader.read()
    expect(runs).toBe(2)
  })
})
