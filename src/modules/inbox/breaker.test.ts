import { describe, expect, it } from 'vitest'
import { createBreaker } from './breaker.ts'

describe('the outbox circuit breaker', () => {
  const settings = { window: 10, minFailures: 4, ratio: 0.5, openMs: 60_000 }

  it('trips a number when failures spike, then counts again from nothing', () => {
    const b = createBreaker(settings)
    expect([true, false, false, false].map((ok) => b.record('n1', ok))).toEqual([false, false, false, false])
    expect(b.record('n1', false)).toBe(true) // 4 failures of 5
    expect(b.record('n1', false)).toBe(false) // a new count after the trip
  })

  it('does not trip on scattered failures among successes, nor on another number’s failures', () => {
    const b = createBreaker(settings)
    const outcomes = Array.from({ length: 40 }, (_, i) => i % 3 === 0)
    expect(outcomes.map((ok) => b.record('n1', !ok)).some(Boolean)).toBe(false) // a third failing
    for (let i = 0; i < 3; i++) expect(b.record('n2', false)).toBe(false)
    expect(b.record('n3', false)).toBe(false)
    expect(b.record('n2', false)).toBe(true)
  })

  it('forgets failures older than its window', () => {
    const b = createBreaker(settings)
    for (let i = 0; i < 3; i++) b.record('n1', false)
    for (let i = 0; i < 10; i++) b.record('n1', true)
    expect(b.record('n1', false)).toBe(false)
  })
})
