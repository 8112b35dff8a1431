import { describe, expect, it } from 'vitest'
import { createMemoryCounterStore } from './counter-store.ts'

describe('in-process counter store', () => {
  it('counts hits in a window and starts again once it has passed', async () => {
    let t = 1_000
    const store = createMemoryCounterStore(() => t)
    await store.hit('k', 100)
    expect((await store.hit('k', 100)).count).toBe(2)

    t += 100

    expect((await store.peek('k')).count).toBe(0)
    expect((await store.hit('k', 100)).count).toBe(1)
  })

  it('never holds more keys than its bound, dropping the least recently hit', async () => {
    const store = createMemoryCounterStore(Date.now, 1_000)
    for (let i = 0; i < 5_000; i++) await store.hit(`ip:${i}`, 60_000)

    expect(store.size()).toBeLessThanOrEqual(1_000)
    expect((await store.peek('ip:4999')).count).toBe(1)
    expect((await store.peek('ip:0')).count).toBe(0)
  })

  it('forgets expired keys without being asked about them', async () => {
    let t = 0
    const store = createMemoryCounterStore(() => t, 10)
    for (let i = 0; i < 10; i++) await store.hit(`old:${i}`, 10)
    t += 20
    for (let i = 0; i < 10; i++) await store.hit(`new:${i}`, 10_000)

    expect(store.size()).toBeLessThanOrEqual(10)
    for (let i = 0; i < 10; i++) expect((await store.peek(`new:${i}`)).count).toBe(1)
  })
})
