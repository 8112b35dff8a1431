import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  capApplies,
  capLevel,
  monthBounds,
  monthKey,
  periodStart,
  previousMonthKey,
  usedInPeriod,
} from '../../src/modules/credits/caps.ts'
import { newId } from '../../src/platform/db/ids.ts'
import { createTestContext, driver, onboard, type TestContext } from '../harness.ts'

const at = (iso: string) => new Date(iso)

describe('cap periods (UTC)', () => {
  it('starts a day at midnight UTC and a month on the 1st, whatever the hour', () => {
    expect(periodStart('daily', at('2025-03-15T23:59:59.999Z'))).toEqual(at('2025-03-15T00:00:00.000Z'))
    expect(periodStart('daily', at('2025-03-16T00:00:00.000Z'))).toEqual(at('2025-03-16T00:00:00.000Z'))
    expect(periodStart('monthly', at('2025-03-15T12:00:00.000Z'))).toEqual(at('2025-03-01T00:00:00.000Z'))
    expect(periodStart('monthly', at('2024-02-29T23:59:59.999Z'))).toEqual(at('2024-02-01T00:00:00.000Z'))
    expect(periodStart('monthly', at('2024-03-01T00:00:00.000Z'))).toEqual(at('2024-03-01T00:00:00.000Z'))
  })

  it('names the UTC month of a moment, and the month before it', () => {
    expect(monthKey(at('2025-12-31T23:59:59.999Z'))).toBe('2025-12')
    expect(monthKey(at('2026-01-01T00:00:00.000Z'))).toBe('2026-01')
    expect(previousMonthKey(at('2026-01-01T00:15:00.000Z'))).toBe('2025-12')
    expect(previousMonthKey(at('2025-03-31T10:00:00.000Z'))).toBe('2025-02')
  })

  it("bounds a month [1st, next month's 1st) and refuses what is not a month", () => {
    expect(monthBounds('2025-12')).toEqual({ start: at('2025-12-01T00:00:00Z'), end: at('2026-01-01T00:00:00Z') })
    expect(monthBounds('2024-02')).toEqual({ start: at('2024-02-01T00:00:00Z'), end: at('2024-03-01T00:00:00Z') })
    for (const bad of ['2025-13', '2025-00', '2025-1', '202512', '2025-12-01', ''])
      expect(monthBounds(bad)).toBeUndefined()
  })
})

describe('cap levels', () => {
  it('is ok under 80 %, a warning from 80 %, reached at 100 % and above', () => {
    const cap = 1_000_000n
    expect(capLevel(0n, cap)).toBe('ok')
    expect(capLevel(799_999n, cap)).toBe('ok')
    expect(capLevel(800_000n, cap)).toBe('warning')
    expect(capLevel(999_999n, cap)).toBe('warning')
    expect(capLevel(1_000_000n, cap)).toBe('reached')
    expect(capLevel(1_500_000n, cap)).toBe('reached')
  })

  it("counts a call against the workspace's cap, its client's and its user's, and no one else's", () => {
    const call = { clientId: 'cl_1', userId: 'usr_1' }
    expect(capApplies({ subjectKind: 'workspace', subjectId: '' }, call)).toBe(true)
    expect(capApplies({ subjectKind: 'client', subjectId: 'cl_1' }, call)).toBe(true)
    expect(capApplies({ subjectKind: 'user', subjectId: 'usr_1' }, call)).toBe(true)
    expect(capApplies({ subjectKind: 'client', subjectId: 'cl_2' }, call)).toBe(false)
    expect(capApplies({ subjectKind: 'user', subjectId: 'usr_2' }, call)).toBe(false)
    expect(capApplies({ subjectKind: 'client', subjectId: 'cl_1' }, { clientId: null, userId: 'usr_1' })).toBe(false)
  })
})

describe(`credits used in a cap's period (${driver})`, () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => ctx.close())

  it('counts pending holds at their amount and resolved ones at their charge, from the start of the UTC period', async () => {
    const o = await onboard(ctx.app, 'caps')
    const other = await onboard(ctx.app, 'caps-other')
    const { db } = ctx.container
    const { ledger } = ctx.container.credits
    await ledger.post(db, {
      workspaceId: o.workspaceId,
      kind: 'grant',
      amount: 1_000_000_000n,
      requestId: 'caps-test',
      reason: 'test',
    })
    const now = at('2030-05-20T10:00:00.000Z')
    const hold = async (
      createdAt: string,
      amount: bigint,
      resolved?: { status: 'settled' | 'released' | 'expired'; charged: bigint },
      who: { userId?: string | null; clientId?: string | null } = {},
    ) =>
      db
        .insertInto('creditHolds')
        .values({
          id: newId('hold'),
          workspaceId: o.workspaceId,
          requestId: `req_${Math.random().toString(36).slice(2)}`,
          clientId: who.clientId === undefined ? o.clientId : who.clientId,
          userId: who.userId === undefined ? o.user.id : who.userId,
          tokenId: null,
          surface: 'chat',
          modelId: 'offline',
          streaming: false,
          amount,
          inputTokens: 1,
          paramsHash: 'h',
          createdAt: at(createdAt),
          expiresAt: at('2030-06-01T00:00:00.000Z'),
          ...(resolved ? { status: resolved.status, charged: resolved.charged, resolvedAt: at(createdAt) } : {}),
        })
        .execute()
    await hold('2030-05-20T00:00:00.000Z', 100n) // pending, at the day's first instant: counts its amount
    await hold('2030-05-20T09:00:00.000Z', 50n, { status: 'settled', charged: 30n }) // counts its charge
    await hold('2030-05-20T09:30:00.000Z', 40n, { status: 'released', charged: 0n }) // released: nothing
    await hold('2030-05-19T23:59:59.999Z', 1_000n) // yesterday: this month only
    await hold('2030-05-01T00:00:00.000Z', 10_000n, { status: 'expired', charged: 7_000n }) // the month's first instant
    await hold('2030-04-30T23:59:59.999Z', 100_000n) // last month: never
    await hold('2030-05-20T08:00:00.000Z', 200_000n, undefined, { userId: null, clientId: null }) // nobody's

    const ws = { subjectKind: 'workspace' as const, subjectId: '' }
    const user = { subjectKind: 'user' as const, subjectId: o.user.id }
    const client = { subjectKind: 'client' as const, subjectId: o.clientId }
    expect(await usedInPeriod(db, o.workspaceId, ws, 'daily', now)).toBe(100n + 30n + 200_000n)
    expect(await usedInPeriod(db, o.workspaceId, ws, 'monthly', now)).toBe(100n + 30n + 1_000n + 7_000n + 200_000n)
    expect(await usedInPeriod(db, o.workspaceId, user, 'daily', now)).toBe(130n)
    expect(await usedInPeriod(db, o.workspaceId, client, 'monthly', now)).toBe(8_130n)
    expect(await usedInPeriod(db, o.workspaceId, { subjectKind: 'user', subjectId: 'usr_nobody' }, 'daily', now)).toBe(
      0n,
    )
    // Another workspace's subjects count nothing here.
    expect(await usedInPeriod(db, other.workspaceId, ws, 'monthly', now)).toBe(0n)
  })
})
