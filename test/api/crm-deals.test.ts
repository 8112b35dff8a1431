import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DealDto, PipelineDto } from '../../contracts/crm.ts'
import {
  addMember,
  call,
  createTestContext,
  onboard,
  type Caller,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * Pipelines and deals (issue 14 §2): a default pipeline per client created once on first use, custom pipelines by
 * admins, deals moved along stages with an append-only history, lost only with a reason, and the stage change told
 * on the event bus in the writing transaction.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let member: TestUser
let contactId: string
const changes: { dealId: string; fromStageId: string | null; toStageId: string; status: string }[] = []

const as = (user: TestUser): Caller => ({ cookie: user.cookie, headers: { 'x-client-id': w.clientId } })
const owner = () => as(w.user)

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-deals')
  member = await addMember(ctx.app, w.user, w.workspaceId, 'member')
  contactId = (await call(ctx.app, 'POST', '/api/crm/contacts', owner(), { name: 'Buyer' })).json().id
  ctx.container.events.on('crm.deal-stage-changed', async (_h, e) => void changes.push(e))
})
afterAll(async () => {
  await ctx.close()
})

describe('CRM pipelines and deals', () => {
  it('creates the default pipeline once, even when it is first asked for concurrently', async () => {
    const lists = await Promise.all([1, 2, 3].map(() => call(ctx.app, 'GET', '/api/crm/pipelines', as(member))))
    for (const l of lists) expect(l.statusCode, l.body).toBe(200)
    const ids = new Set(lists.map((l) => (l.json().items as PipelineDto[])[0]!.id))
    expect(ids.size).toBe(1)
    const [pipeline] = lists[0]!.json().items as PipelineDto[]
    expect(pipeline!.isDefault).toBe(true)
    expect(pipeline!.stages.map((s) => [s.name, s.outcome])).toEqual([
      ['New', 'open'],
      ['Qualified', 'open'],
      ['Proposal', 'open'],
      ['Won', 'won'],
      ['Lost', 'lost'],
    ])
    const stored = await ctx.container.db
      .selectFrom('crmPipelines')
      .select('id')
      .where('clientId', '=', w.clientId)
      .where('isDefault', '=', true)
      .execute()
    expect(stored).toHaveLength(1)
  })

  it('creates a deal in the default pipeline’s first stage, in minor units', async () => {
    const res = await call(ctx.app, 'POST', '/api/crm/deals', as(member), {
      title: 'Birthday party',
      contactId,
      valueMinor: 80000,
      currency: 'RON',
    })
    expect(res.statusCode, res.body).toBe(201)
    const [pipeline] = (await call(ctx.app, 'GET', '/api/crm/pipelines', owner())).json().items as PipelineDto[]
    expect(res.json()).toMatchObject({
      pipelineId: pipeline!.id,
      stageId: pipeline!.stages[0]!.id,
      valueMinor: 80000,
      currency: 'RON',
      status: 'open',
    })
    expect(changes.at(-1)).toMatchObject({ dealId: res.json().id, fromStageId: null, status: 'open' })
  })

  it('moves a deal along its stages, keeps every move, and wants a reason to lose it', async () => {
    const [pipeline] = (await call(ctx.app, 'GET', '/api/crm/pipelines', owner())).json().items as PipelineDto[]
    const stage = (name: string) => pipeline!.stages.find((s) => s.name === name)!.id
    const deal = (
      await call(ctx.app, 'POST', '/api/crm/deals', owner(), { title: 'Wedding', contactId })
    ).json() as DealDto
    const url = `/api/crm/deals/${deal.id}`
    const moved = await call(ctx.app, 'PATCH', url, as(member), { stageId: stage('Proposal'), position: 2.5 })
    expect(moved.json()).toMatchObject({ stageId: stage('Proposal'), position: 2.5, status: 'open' })
    expect(changes.at(-1)).toMatchObject({ dealId: deal.id, fromStageId: stage('New'), toStageId: stage('Proposal') })
    const noReason = await call(ctx.app, 'PATCH', url, owner(), { stageId: stage('Lost') })
    expect(noReason.statusCode).toBe(400)
    expect(noReason.json().error.code).toBe('crm.lost_reason_required')
    const lost = await call(ctx.app, 'PATCH', url, owner(), { stageId: stage('Lost'), lostReason: 'Too expensive' })
    expect(lost.json()).toMatchObject({ status: 'lost', lostReason: 'Too expensive' })
    expect(lost.json().closedAt).toBeTypeOf('string')
    const won = await call(ctx.app, 'PATCH', url, owner(), { stageId: stage('Won') })
    expect(won.json()).toMatchObject({ status: 'won', lostReason: null })
    const history = (await call(ctx.app, 'GET', `${url}/history`, owner())).json().items
    expect(history.map((h: { toStageId: string }) => h.toStageId)).toEqual([
      stage('Won'),
      stage('Lost'),
      stage('Proposal'),
      stage('New'),
    ])
    expect(history[1].lostReason).toBe('Too expensive')
  })

  it('lets only admins make pipelines; a deal cannot move to another pipeline’s stage', async () => {
    const body = { name: 'Rentals', stages: [{ name: 'Asked' }, { name: 'Rented', outcome: 'won' }] }
    expect((await call(ctx.app, 'POST', '/api/crm/pipelines', as(member), body)).statusCode).toBe(403)
    const res = await call(ctx.app, 'POST', '/api/crm/pipelines', owner(), body)
    expect(res.statusCode, res.body).toBe(201)
    const rentals = res.json() as PipelineDto
    expect(rentals).toMatchObject({ isDefault: false, name: 'Rentals' })
    const added = await call(ctx.app, 'POST', `/api/crm/pipelines/${rentals.id}/stages`, owner(), {
      name: 'Returned',
      position: 1,
    })
    expect((added.json() as PipelineDto).stages.map((s) => s.name)).toEqual(['Asked', 'Returned', 'Rented'])
    const deal = (
      await call(ctx.app, 'POST', '/api/crm/deals', owner(), { title: 'Sale', contactId })
    ).json() as DealDto
    const res2 = await call(ctx.app, 'PATCH', `/api/crm/deals/${deal.id}`, owner(), { stageId: rentals.stages[0]!.id })
    expect(res2.statusCode).toBe(404)
    expect(res2.json().error.code).toBe('crm.stage_not_found')
    const inRentals = await call(ctx.app, 'POST', '/api/crm/deals', owner(), {
      title: 'Costume',
      contactId,
      pipelineId: rentals.id,
    })
    expect(inRentals.json().stageId).toBe(rentals.stages[0]!.id)
    const filtered = (await call(ctx.app, 'GET', `/api/crm/deals?pipelineId=${rentals.id}`, owner())).json().items
    expect(filtered.map((d: DealDto) => d.title)).toEqual(['Costume'])
  })

  it('refuses a deal for a contact of another client', async () => {
    const other = await onboard(ctx.app, 'crm-deals-other')
    const theirs = (
      await call(
        ctx.app,
        'POST',
        '/api/crm/contacts',
        { cookie: other.user.cookie, headers: { 'x-client-id': other.clientId } },
        { name: 'Theirs' },
      )
    ).json().id as string
    const res = await call(ctx.app, 'POST', '/api/crm/deals', owner(), { title: 'Poach', contactId: theirs })
    expect(res.statusCode).toBe(404)
  })
})
