import { describe, expect, it } from 'vitest'
import type { Handle } from '../db/database.ts'
import { createEventBus } from './events.ts'

type Events = { 'workspace.created': { workspaceId: string }; 'email.verified': { userId: string } }
const trx = { isTransaction: true } as unknown as Handle

describe('event bus', () => {
  it('runs the handlers of an event in registration order, with the emitter’s handle and the payload', async () => {
    const bus = createEventBus<Events>()
    const seen: string[] = []
    bus.on('workspace.created', async (handle, p) => {
      expect(handle).toBe(trx)
      seen.push(`first ${p.workspaceId}`)
    })
    bus.on('email.verified', async () => {
      seen.push('other event')
    })
    bus.on('workspace.created', async (_h, p) => {
      seen.push(`second ${p.workspaceId}`)
    })
    await bus.emit(trx, 'workspace.created', { workspaceId: 'ws_1' })
    expect(seen).toEqual(['first ws_1', 'second ws_1'])
  })

  it('waits for each handler before the next, and a handler that throws fails the emit (its transaction rolls back)', async () => {
    const bus = createEventBus<Events>()
    const seen: string[] = []
    bus.on('email.verified', async () => {
      await new Promise((r) => setTimeout(r, 10))
      seen.push('slow')
    })
    bus.on('email.verified', async () => {
      seen.push('fast')
      throw new Error('refused')
    })
    bus.on('email.verified', async () => {
      seen.push('never')
    })
    await expect(bus.emit(trx, 'email.verified', { userId: 'u_1' })).rejects.toThrow('refused')
    expect(seen).toEqual(['slow', 'fast'])
  })

  it('an event nobody listens to is a no-op', async () => {
    await expect(createEventBus<Events>().emit(trx, 'email.verified', { userId: 'u_1' })).resolves.toBeUndefined()
  })
})
